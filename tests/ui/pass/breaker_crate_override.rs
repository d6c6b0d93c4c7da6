use std::io;

mod reexport {
    pub use resilient_async::*;
}

#[reexport::circuit_breaker(threshold = 3, crate = "crate::reexport")]
async fn fetch() -> io::Result<u32> {
    Ok(1)
}

#[reexport::circuit_breaker(threshold = 3, key = host, crate = "crate::reexport")]
async fn keyed(host: &str) -> io::Result<usize> {
    Ok(host.len())
}

#[reexport::circuit_breaker(threshold = 3, name = "shared", crate = "crate::reexport")]
async fn shared() -> io::Result<u32> {
    Ok(3)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(fetch().await.unwrap(), 1);
    assert_eq!(keyed("a").await.unwrap(), 1);
    assert_eq!(shared().await.unwrap(), 3);
    assert!(reexport::circuit_breaker::get("fetch").is_some());
}
