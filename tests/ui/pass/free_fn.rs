use std::io;

use resilient_async::retry;

#[retry(max = 2, backoff = "10ms")]
async fn fetch(id: u32) -> io::Result<u32> {
    Ok(id + 1)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(fetch(1).await.unwrap(), 2);
}
