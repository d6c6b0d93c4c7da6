// Zero retries (a policy that only falls back), the largest count, and a
// deadline longer than any clock holds (none, in effect) are all accepted.
use resilient_async::{fallback, retry};

async fn backup() -> std::io::Result<u32> {
    Ok(2)
}

#[fallback(backup)]
#[retry(max = 0)]
async fn once() -> std::io::Result<u32> {
    Err(std::io::ErrorKind::ConnectionReset.into())
}

#[retry(max = 4294967295)]
async fn forever() -> std::io::Result<u32> {
    Ok(1)
}

#[retry(deadline = 18446744073709551615, timeout = "1s")]
async fn unbounded() -> std::io::Result<u32> {
    Ok(3)
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    assert_eq!(once().await.unwrap(), 2);
    assert_eq!(resilient_async::metrics::get("once").unwrap().snapshot().attempts, 1);
    assert_eq!(forever().await.unwrap(), 1);
    assert_eq!(unbounded().await.unwrap(), 3);
}
