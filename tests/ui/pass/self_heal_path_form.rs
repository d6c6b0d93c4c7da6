#![deny(unused_imports)]

use std::io;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

mod doctor {
    use std::sync::atomic::AtomicU32;

    pub async fn diagnose(_: &std::io::Error, _: &AtomicU32) -> resilient_async::Heal {
        resilient_async::Heal::Retry
    }

    pub mod strict {
        pub async fn diagnose(
            _: &std::io::Error,
            _: &std::sync::atomic::AtomicU32,
        ) -> resilient_async::Heal {
            resilient_async::Heal::GiveUp
        }
    }
}

fn first_fails(attempts: &AtomicU32) -> io::Result<u32> {
    let n = attempts.fetch_add(1, SeqCst);
    if n == 0 {
        return Err(io::ErrorKind::ConnectionReset.into());
    }
    Ok(n + 1)
}

#[resilient_async::self_heal(diagnoser = doctor::diagnose)]
async fn fetch(attempts: &AtomicU32) -> io::Result<u32> {
    first_fails(attempts)
}

#[::resilient_async::self_heal(diagnoser = crate::doctor::strict::diagnose)]
async fn strict(attempts: &AtomicU32) -> io::Result<u32> {
    first_fails(attempts)
}

#[resilient_async::retry(max = 1, backoff = "1ms")]
#[resilient_async::self_heal(diagnoser = self::doctor::diagnose, max = 1)]
async fn stacked(attempts: &AtomicU32) -> io::Result<u32> {
    let n = attempts.fetch_add(1, SeqCst);
    if n < 2 {
        return Err(io::ErrorKind::ConnectionReset.into());
    }
    Ok(n + 1)
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let attempts = AtomicU32::new(0);
    assert_eq!(fetch(&attempts).await.unwrap(), 2);
    let attempts = AtomicU32::new(0);
    assert!(strict(&attempts).await.is_err());
    assert_eq!(attempts.load(SeqCst), 1);
    let attempts = AtomicU32::new(0);
    assert_eq!(stacked(&attempts).await.unwrap(), 3);
    let figures = resilient_async::heal::get("stacked").unwrap().snapshot();
    assert_eq!((figures.diagnosed, figures.healed), (1, 1));
}
