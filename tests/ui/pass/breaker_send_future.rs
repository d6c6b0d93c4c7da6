use std::io;

use resilient_async::{circuit_breaker, retry};

fn assert_send<T: Send>(_: T) {}

#[circuit_breaker(threshold = 2, slow_call = "1s")]
async fn fetch(id: String) -> io::Result<usize> {
    tokio::task::yield_now().await;
    Ok(id.len())
}

#[circuit_breaker(threshold = 2, key = host)]
async fn keyed(host: String) -> io::Result<usize> {
    tokio::task::yield_now().await;
    Ok(host.len())
}

#[retry(max = 2)]
#[circuit_breaker(threshold = 2, name = "send_shared")]
async fn stacked(values: &[u8]) -> io::Result<usize> {
    Ok(values.len())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_send(fetch(String::new()));
    assert_send(keyed(String::new()));
    assert_send(stacked(&[]));
    let handle = tokio::spawn(fetch("abc".to_owned()));
    assert_eq!(handle.await.unwrap().unwrap(), 3);
    let handle = tokio::spawn(keyed("ab".to_owned()));
    assert_eq!(handle.await.unwrap().unwrap(), 2);
}
