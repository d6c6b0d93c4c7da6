use std::fmt::Debug;
use std::io;

use resilient_async::{circuit_breaker, CircuitOpen};

#[derive(Debug)]
enum ApiError {
    Open(CircuitOpen),
}

impl From<CircuitOpen> for ApiError {
    fn from(open: CircuitOpen) -> Self {
        ApiError::Open(open)
    }
}

#[circuit_breaker(threshold = 2)]
async fn first<T, E>(items: Vec<T>) -> Result<Option<T>, E>
where
    T: Debug,
    E: From<CircuitOpen>,
{
    Ok(items.into_iter().next())
}

#[circuit_breaker(threshold = 2, key = key.as_ref())]
async fn lookup<K: AsRef<str>>(key: &K) -> io::Result<usize> {
    Ok(key.as_ref().len())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(first::<u8, ApiError>(vec![1, 2]).await.unwrap(), Some(1));
    assert_eq!(first::<u8, io::Error>(Vec::new()).await.unwrap(), None);
    assert_eq!(lookup(&"abc").await.unwrap(), 3);
    assert_eq!(lookup(&String::from("de")).await.unwrap(), 2);
    if let Err(ApiError::Open(open)) = first::<u8, ApiError>(Vec::new()).await {
        assert_eq!(open.breaker(), "first");
    }
}
