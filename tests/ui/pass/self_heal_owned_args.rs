use std::io;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use resilient_async::{retry, self_heal, Heal};

static CLONES: AtomicU32 = AtomicU32::new(0);

/// Counts its clones, and knows whether it is one.
#[derive(Debug)]
struct Payload {
    id: u32,
    copy: bool,
}

impl Clone for Payload {
    fn clone(&self) -> Self {
        CLONES.fetch_add(1, SeqCst);
        Payload {
            id: self.id,
            copy: true,
        }
    }
}

fn clones() -> u32 {
    CLONES.swap(0, SeqCst)
}

async fn diagnose(_: &io::Error, payload: &Payload, _: &String, _: &u32) -> Heal {
    assert!(!payload.copy, "the diagnoser sees the original");
    Heal::Retry
}

/// A copy for each round; the original stays for the diagnoser.
#[self_heal(diagnoser = diagnose, max = 2, backoff = "1ms")]
async fn upload(payload: Payload, mut name: String, fails: u32) -> io::Result<String> {
    assert!(payload.copy);
    name.push('!');
    if payload.id < fails {
        return Err(io::ErrorKind::ConnectionReset.into());
    }
    Ok(format!("{name}{}", payload.id))
}

/// A copy for each attempt of each round.
#[self_heal(diagnoser = diagnose, max = 1, backoff = "1ms")]
#[retry(max = 1, backoff = "1ms")]
async fn retried(payload: Payload, name: String, fails: u32) -> io::Result<String> {
    assert!(payload.copy);
    let _ = (name, fails);
    Err(io::ErrorKind::ConnectionReset.into())
}

async fn unpack(_: &io::Error, pair: &(u8, String), _: &[u16; 2]) -> Heal {
    assert_eq!(pair.1, "b");
    Heal::GiveUp
}

/// Patterns: the diagnoser gets the whole argument.
#[self_heal(diagnoser = unpack)]
async fn tuple((a, b): (u8, String), [x, y]: [u16; 2]) -> io::Result<String> {
    if a == 0 {
        return Err(io::ErrorKind::ConnectionReset.into());
    }
    Ok(format!("{a}{b}{x}{y}"))
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let payload = |id| Payload { id, copy: false };
    assert_eq!(upload(payload(5), "a".to_owned(), 0).await.unwrap(), "a!5");
    assert_eq!(clones(), 1);
    assert!(upload(payload(5), "a".to_owned(), 9).await.is_err());
    assert_eq!(clones(), 3);
    assert!(retried(payload(1), "b".to_owned(), 0).await.is_err());
    assert_eq!(clones(), 4);
    assert_eq!(tuple((1, "c".to_owned()), [2, 3]).await.unwrap(), "1c23");
    assert!(tuple((0, "b".to_owned()), [2, 3]).await.is_err());
}
