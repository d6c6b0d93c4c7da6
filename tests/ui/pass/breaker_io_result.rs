use std::io;
use std::time::Duration;

use resilient_async::{circuit_breaker, CircuitOpen, Transient};

#[circuit_breaker(threshold = 1, cooldown = "30s")]
async fn connect(up: bool) -> std::io::Result<u32> {
    if up {
        Ok(1)
    } else {
        Err(io::ErrorKind::ConnectionRefused.into())
    }
}

#[circuit_breaker(threshold = 1)]
async fn aliased() -> io::Result<()> {
    Ok(())
}

#[circuit_breaker(threshold = 1)]
async fn spelled_out() -> Result<(), std::io::Error> {
    Ok(())
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    assert_eq!(connect(true).await.unwrap(), 1);
    assert_eq!(connect(false).await.unwrap_err().kind(), io::ErrorKind::ConnectionRefused);
    // Open: `io::Error::from(CircuitOpen)`, transient, with the cooldown as its wait.
    let refused = connect(true).await.unwrap_err();
    assert_eq!(refused.kind(), io::ErrorKind::ResourceBusy);
    assert!(refused.is_transient());
    assert_eq!(refused.retry_after(), Some(Duration::from_secs(30)));
    let open = refused.get_ref().unwrap().downcast_ref::<CircuitOpen>().unwrap();
    assert_eq!(open.breaker(), "connect");
    aliased().await.unwrap();
    spelled_out().await.unwrap();
}
