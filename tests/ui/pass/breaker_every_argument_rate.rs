use std::io;

use resilient_async::circuit_breaker;

fn is_failure(error: &io::Error) -> bool {
    error.kind() != io::ErrorKind::NotFound
}

#[circuit_breaker(
    failure_rate = 0.5,
    window = 20,
    min_calls = 20,
    slow_call = "2s",
    slow_rate = 0.8,
    cooldown = "1m 30s",
    half_open = 5,
    close_after = 5,
    max_cooldown = "1h",
    cooldown_jitter = 0.5,
    record_if = is_failure,
    key = region,
    max_keys = 4,
    crate = "resilient_async",
)]
async fn count_window(region: &str) -> io::Result<usize> {
    Ok(region.len())
}

#[circuit_breaker(
    failure_rate = 1,
    window = "30s",
    min_calls = 100,
    slow_call = "250ms",
    slow_rate = 1.0,
    name = "time_window",
)]
async fn time_window() -> io::Result<u32> {
    Ok(2)
}

#[circuit_breaker(failure_rate = 0.25, window = 10000, min_calls = 1, slow_call = "1s")]
async fn largest_window() -> io::Result<u32> {
    Ok(3)
}

#[circuit_breaker(failure_rate = 0.5, window = 5)]
async fn small_window() -> io::Result<u32> {
    Ok(4)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(count_window("eu").await.unwrap(), 2);
    assert_eq!(time_window().await.unwrap(), 2);
    assert_eq!(largest_window().await.unwrap(), 3);
    assert_eq!(small_window().await.unwrap(), 4);
    let snapshot = resilient_async::circuit_breaker::get("time_window").unwrap().snapshot();
    assert_eq!((snapshot.calls, snapshot.failures), (1, 0));
}
