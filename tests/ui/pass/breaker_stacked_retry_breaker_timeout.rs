#![deny(unused_imports)]

use std::io;

use resilient_async::{circuit_breaker, retry, timeout};

#[retry(max = 2, backoff = "1ms")]
#[circuit_breaker(threshold = 5)]
#[timeout("1s")]
async fn fetch() -> io::Result<u32> {
    Ok(1)
}

#[retry(max = 2)]
#[circuit_breaker(threshold = 5)]
async fn retried(id: String) -> io::Result<usize> {
    Ok(id.len())
}

#[circuit_breaker(threshold = 5)]
#[timeout("1s")]
async fn bounded() -> io::Result<u32> {
    Ok(3)
}

/// Fails every time: the breaker, inside the retry whatever the order
/// written, sees each of the three attempts.
#[retry(max = 2, backoff = "1ms")]
#[circuit_breaker(threshold = 100)]
#[timeout("1s")]
async fn down() -> io::Result<u32> {
    Err(io::ErrorKind::ConnectionReset.into())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(fetch().await.unwrap(), 1);
    assert_eq!(retried("ab".to_owned()).await.unwrap(), 2);
    assert_eq!(bounded().await.unwrap(), 3);
    assert!(down().await.is_err());
    let breaker = resilient_async::circuit_breaker::get("down").unwrap().snapshot();
    assert_eq!((breaker.calls, breaker.failures), (3, 3));
}
