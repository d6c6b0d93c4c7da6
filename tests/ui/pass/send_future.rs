use std::io;

use resilient_async::{retry, timeout};

fn assert_send<T: Send>(_: T) {}

#[retry(max = 2, timeout = "1s")]
async fn fetch(id: String) -> io::Result<usize> {
    tokio::task::yield_now().await;
    Ok(id.len())
}

#[timeout("1s")]
async fn bounded(values: &[u8]) -> io::Result<usize> {
    Ok(values.len())
}

struct Client;

impl Client {
    #[retry(max = 2)]
    async fn get(&self, path: &str) -> io::Result<usize> {
        Ok(path.len())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_send(fetch(String::new()));
    assert_send(bounded(&[]));
    assert_send(Client.get("/"));
    let handle = tokio::spawn(fetch("abc".to_owned()));
    assert_eq!(handle.await.unwrap().unwrap(), 3);
}
