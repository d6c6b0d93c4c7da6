use std::io;

use resilient_async::circuit_breaker;

fn is_failure(error: &io::Error) -> bool {
    error.kind() != io::ErrorKind::NotFound
}

#[circuit_breaker(
    threshold = 3,
    cooldown = "30s",
    half_open = 3,
    close_after = 2,
    slow_call = 2.5,
    max_cooldown = "10m",
    cooldown_jitter = 0.2,
    record_if = is_failure,
    name = "ocr",
    crate = "resilient_async",
)]
async fn every() -> io::Result<u32> {
    Ok(1)
}

#[circuit_breaker(threshold = 1, cooldown = 60, key = id, max_keys = 16)]
async fn keyed(id: u64) -> io::Result<u64> {
    Ok(id)
}

#[circuit_breaker(r#threshold = 2, cooldown_jitter = 0)]
async fn raw() -> io::Result<u32> {
    Ok(3)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(every().await.unwrap(), 1);
    assert_eq!(keyed(7).await.unwrap(), 7);
    assert_eq!(raw().await.unwrap(), 3);
    let ocr = resilient_async::circuit_breaker::get("ocr").unwrap();
    assert_eq!(ocr.snapshot().calls, 1);
    assert_eq!(resilient_async::circuit_breaker::keyed("keyed").unwrap().len(), 1);
}
