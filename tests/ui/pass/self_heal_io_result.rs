use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use resilient_async::{self_heal, Heal};

async fn reconnect(error: &io::Error, _: &AtomicU32) -> Heal {
    match error.kind() {
        io::ErrorKind::ConnectionReset => Heal::Retry,
        _ => Heal::GiveUp,
    }
}

fn first_fails(attempts: &AtomicU32, kind: io::ErrorKind) -> io::Result<()> {
    if attempts.fetch_add(1, SeqCst) == 0 {
        return Err(kind.into());
    }
    Ok(())
}

#[self_heal(diagnoser = reconnect)]
async fn spelled_out(attempts: &AtomicU32) -> std::io::Result<u32> {
    first_fails(attempts, io::ErrorKind::ConnectionReset)?;
    Ok(1)
}

#[self_heal(diagnoser = reconnect)]
async fn aliased(attempts: &AtomicU32) -> io::Result<()> {
    first_fails(attempts, io::ErrorKind::PermissionDenied)
}

#[self_heal(diagnoser = reconnect)]
async fn full(attempts: &AtomicU32) -> Result<(), std::io::Error> {
    first_fails(attempts, io::ErrorKind::ConnectionReset)
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

async fn sharpen(_: &OcrError) -> Heal {
    Heal::Retry
}

#[self_heal(diagnoser = sharpen, max = 1)]
async fn read() -> OcrResult<&'static str> {
    Err(OcrError::Unreadable)
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let attempts = AtomicU32::new(0);
    assert_eq!(spelled_out(&attempts).await.unwrap(), 1);
    assert_eq!(attempts.load(SeqCst), 2);
    let attempts = AtomicU32::new(0);
    let error = aliased(&attempts).await.unwrap_err();
    assert_eq!(
        (error.kind(), attempts.load(SeqCst)),
        (io::ErrorKind::PermissionDenied, 1)
    );
    let attempts = AtomicU32::new(0);
    full(&attempts).await.unwrap();
    assert_eq!(attempts.load(SeqCst), 2);
    assert_eq!(read().await, Err(OcrError::Unreadable));
}
