use std::io;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use resilient_async::fallback;

static PRIMARY: AtomicU32 = AtomicU32::new(0);
static CLAUDE: AtomicU32 = AtomicU32::new(0);
static LOCAL: AtomicU32 = AtomicU32::new(0);

fn counts() -> (u32, u32, u32) {
    (
        PRIMARY.load(SeqCst),
        CLAUDE.load(SeqCst),
        LOCAL.load(SeqCst),
    )
}

fn assert_send<T: Send>(_: T) {}

async fn claude(receipt: &[u8], serves: u8) -> io::Result<String> {
    CLAUDE.fetch_add(1, SeqCst);
    if serves == 1 {
        Ok(format!("claude read {}", receipt.len()))
    } else {
        Err(io::ErrorKind::ConnectionRefused.into())
    }
}

async fn local_ocr(receipt: &[u8], serves: u8) -> io::Result<String> {
    LOCAL.fetch_add(1, SeqCst);
    if serves == 2 {
        Ok(format!("local read {}", receipt.len()))
    } else {
        Err(io::ErrorKind::NotFound.into())
    }
}

/// `serves` says which tier succeeds: 0 the function itself, 1 `claude`,
/// 2 `local_ocr`, 3 none.
#[fallback(claude, local_ocr)]
async fn gpt4_vision(receipt: &[u8], serves: u8) -> io::Result<String> {
    PRIMARY.fetch_add(1, SeqCst);
    if serves == 0 {
        Ok(format!("gpt4 read {}", receipt.len()))
    } else {
        Err(io::ErrorKind::ConnectionReset.into())
    }
}

async fn parse_loosely(text: &str) -> Result<u32, std::num::ParseIntError> {
    text.trim().parse()
}

/// `?` and an early `return` in the body.
#[fallback(parse_loosely)]
async fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
    if text.is_empty() {
        return Ok(0);
    }
    let n: u32 = text.parse()?;
    Ok(n * 10)
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    assert_send(gpt4_vision(b"jpeg", 0));

    assert_eq!(gpt4_vision(b"jpeg", 0).await.unwrap(), "gpt4 read 4");
    assert_eq!(counts(), (1, 0, 0));
    assert_eq!(gpt4_vision(b"jpeg", 1).await.unwrap(), "claude read 4");
    assert_eq!(counts(), (2, 1, 0));
    assert_eq!(gpt4_vision(b"jpeg", 2).await.unwrap(), "local read 4");
    assert_eq!(counts(), (3, 2, 1));
    // Every tier failed: the last tier's error.
    let error = gpt4_vision(b"jpeg", 3).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    assert_eq!(counts(), (4, 3, 2));

    assert_eq!(parse("").await.unwrap(), 0);
    assert_eq!(parse("4").await.unwrap(), 40);
    assert_eq!(parse(" 5 ").await.unwrap(), 5);
    assert!(parse("x").await.is_err());
}
