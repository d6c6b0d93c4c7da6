use std::io;

use resilient_async::circuit_breaker;

#[circuit_breaker(threshold = 2, name = "vision")]
async fn describe(image: &[u8]) -> io::Result<usize> {
    if image.is_empty() {
        return Err(io::ErrorKind::ConnectionReset.into());
    }
    Ok(image.len())
}

#[circuit_breaker(threshold = 2, name = "vision")]
async fn caption(image: &[u8]) -> io::Result<String> {
    if image.is_empty() {
        return Err(io::ErrorKind::ConnectionReset.into());
    }
    Ok(format!("{} bytes", image.len()))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(describe(b"png").await.unwrap(), 3);
    assert!(describe(b"").await.is_err());
    assert!(caption(b"").await.is_err());
    // Two failures, one from each function: the shared breaker is open for both.
    let refused = describe(b"png").await.unwrap_err();
    assert_eq!(refused.kind(), io::ErrorKind::ResourceBusy);
    assert_eq!(caption(b"png").await.unwrap_err().kind(), io::ErrorKind::ResourceBusy);
    let vision = resilient_async::circuit_breaker::get("vision").unwrap();
    assert_eq!(vision.state(), resilient_async::circuit_breaker::State::Open);
    assert!(resilient_async::circuit_breaker::get("describe").is_none());
    assert!(resilient_async::circuit_breaker::get("caption").is_none());
}
