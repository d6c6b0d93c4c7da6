use std::io;

use resilient_async::retry;

#[retry(
    attempts = 4,
    backoff = 0.01,
    schedule = "exponential",
    factor = 3,
    max_delay = "1m 30s",
    jitter = "decorrelated",
    timeout = "5s",
    timeout_factor = 1.5,
    deadline = 60,
    crate = "resilient_async",
)]
async fn every() -> io::Result<u32> {
    Ok(1)
}

#[retry(max = 1, schedule = "linear", jitter)]
async fn linear() -> io::Result<u32> {
    Ok(2)
}

#[retry(r#max = 1, schedule = "constant", jitter = "none")]
async fn constant() -> io::Result<u32> {
    Ok(3)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(every().await.unwrap(), 1);
    assert_eq!(linear().await.unwrap(), 2);
    assert_eq!(constant().await.unwrap(), 3);
}
