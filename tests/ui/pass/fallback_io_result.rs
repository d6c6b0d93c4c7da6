use std::fmt;
use std::io;

use resilient_async::fallback;

async fn local(up: bool) -> std::io::Result<u32> {
    if up {
        Ok(2)
    } else {
        Err(io::ErrorKind::NotFound.into())
    }
}

#[fallback(local)]
async fn spelled_out(up: bool) -> std::io::Result<u32> {
    let _ = up;
    Err(io::ErrorKind::ConnectionRefused.into())
}

async fn none() -> io::Result<()> {
    Ok(())
}

#[fallback(none)]
async fn aliased() -> io::Result<()> {
    Err(io::ErrorKind::ConnectionRefused.into())
}

async fn none_either() -> Result<(), std::io::Error> {
    Ok(())
}

#[fallback(none_either)]
async fn full() -> Result<(), std::io::Error> {
    Err(io::ErrorKind::ConnectionRefused.into())
}

#[derive(Debug, PartialEq)]
enum OcrError {
    Unreadable,
}

impl fmt::Display for OcrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

type OcrResult<T> = Result<T, OcrError>;

async fn by_hand() -> OcrResult<&'static str> {
    Err(OcrError::Unreadable)
}

#[fallback(by_hand)]
async fn read() -> OcrResult<&'static str> {
    Err(OcrError::Unreadable)
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    assert_eq!(spelled_out(true).await.unwrap(), 2);
    assert_eq!(
        spelled_out(false).await.unwrap_err().kind(),
        io::ErrorKind::NotFound
    );
    aliased().await.unwrap();
    full().await.unwrap();
    assert_eq!(read().await, Err(OcrError::Unreadable));
}
