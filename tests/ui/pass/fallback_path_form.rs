#![deny(unused_imports)]

use std::io;

mod providers {
    pub async fn claude(fails: bool) -> std::io::Result<&'static str> {
        if fails {
            Err(std::io::ErrorKind::ConnectionRefused.into())
        } else {
            Ok("claude")
        }
    }

    pub mod local {
        pub async fn ocr(_: bool) -> std::io::Result<&'static str> {
            Ok("local")
        }
    }
}

fn down() -> io::Error {
    io::ErrorKind::ConnectionReset.into()
}

#[resilient_async::fallback(providers::claude = 0.015, providers::local::ocr = 0.001)]
async fn read(fails: bool) -> io::Result<&'static str> {
    let _ = fails;
    Err(down())
}

#[::resilient_async::fallback(crate::providers::claude, self::providers::local::ocr)]
#[resilient_async::retry(max = 1, backoff = "1ms")]
async fn absolute(fails: bool) -> io::Result<&'static str> {
    let _ = fails;
    Err(down())
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    assert_eq!(read(false).await.unwrap(), "claude");
    assert_eq!(read(true).await.unwrap(), "local");
    let chain = resilient_async::fallback::get("read").unwrap().snapshot();
    let tiers: Vec<_> = chain
        .tiers
        .iter()
        .map(|t| (t.name, t.cost, t.served))
        .collect();
    assert_eq!(
        tiers,
        [("read", 0.0, 0), ("claude", 0.015, 1), ("ocr", 0.001, 1)]
    );

    assert_eq!(absolute(true).await.unwrap(), "local");
    let metrics = resilient_async::metrics::get("absolute").unwrap().snapshot();
    assert_eq!(metrics.attempts, 2);
}
