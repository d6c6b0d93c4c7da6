use std::fmt;

use resilient_async::retry;

#[derive(Debug)]
struct HttpError {
    status: u16,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)
    }
}

fn is_retryable(error: &HttpError) -> bool {
    matches!(error.status, 429 | 503)
}

mod policy {
    pub(crate) fn never<E>(_: &E) -> bool {
        false
    }
}

#[retry(max = 2, backoff = "1ms", retry_if = is_retryable)]
async fn fetch(status: u16) -> Result<u32, HttpError> {
    if status == 200 {
        Ok(1)
    } else {
        Err(HttpError { status })
    }
}

#[retry(max = 2, retry_if = policy::never)]
async fn once() -> Result<u32, HttpError> {
    Err(HttpError { status: 503 })
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(fetch(200).await.unwrap(), 1);
    assert_eq!(fetch(404).await.unwrap_err().status, 404);
    assert_eq!(once().await.unwrap_err().status, 503);
}
