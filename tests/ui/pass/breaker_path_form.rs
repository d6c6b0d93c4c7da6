#![deny(unused_imports)]

use std::io;

#[resilient_async::circuit_breaker(threshold = 2)]
async fn fetch() -> io::Result<u32> {
    Ok(1)
}

#[resilient_async::circuit_breaker]
#[resilient_async::retry(max = 2)]
async fn stacked() -> io::Result<u32> {
    Ok(2)
}

#[::resilient_async::timeout("1s")]
#[::resilient_async::circuit_breaker()]
async fn absolute() -> io::Result<u32> {
    Ok(3)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(fetch().await.unwrap(), 1);
    assert_eq!(stacked().await.unwrap(), 2);
    assert_eq!(absolute().await.unwrap(), 3);
    assert!(resilient_async::circuit_breaker::get("absolute").is_some());
}
