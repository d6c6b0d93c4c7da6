use std::io;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use resilient_async::{fallback, retry, self_heal, Heal};

static CLONES: AtomicU32 = AtomicU32::new(0);

/// Counts its clones, and knows whether it is one.
#[derive(Debug)]
struct Payload {
    id: u32,
    copy: bool,
}

impl Payload {
    fn new(id: u32) -> Self {
        Payload { id, copy: false }
    }
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

fn down() -> io::Error {
    io::ErrorKind::ConnectionReset.into()
}

async fn mirror(payload: Payload, name: String) -> io::Result<String> {
    assert!(payload.copy, "a middle tier gets a copy");
    let _ = name;
    Err(down())
}

async fn archive(payload: Payload, name: String) -> io::Result<String> {
    assert!(!payload.copy, "the last tier takes the original");
    Ok(format!("{name}{}", payload.id))
}

#[fallback(mirror, archive)]
async fn upload(payload: Payload, mut name: String) -> io::Result<String> {
    assert!(payload.copy, "the primary gets a copy");
    name.push('!');
    if payload.id == 0 {
        Ok(name)
    } else {
        Err(down())
    }
}

/// Retried: a copy per attempt, one for the mirror, the original for the
/// archive.
#[fallback(mirror, archive)]
#[retry(max = 2, backoff = "1ms")]
async fn retried(payload: Payload, name: String) -> io::Result<String> {
    assert!(payload.copy);
    let _ = name;
    Err(down())
}

async fn diagnose(_: &io::Error, payload: &Payload, _: &String) -> Heal {
    assert!(!payload.copy, "the diagnoser sees the original");
    Heal::Retry
}

/// Healed: a copy per round, the original for the last tier.
#[self_heal(diagnoser = diagnose, max = 1, backoff = "1ms")]
#[fallback(archive)]
async fn healed(payload: Payload, name: String) -> io::Result<String> {
    assert!(payload.copy);
    let _ = name;
    Err(down())
}

async fn swap((a, b): (u8, String), [x, y]: [u16; 2]) -> io::Result<String> {
    Ok(format!("{b}{a}{y}{x}"))
}

#[fallback(swap)]
async fn tuple((a, b): (u8, String), [x, y]: [u16; 2]) -> io::Result<String> {
    let _ = (a, b, x, y);
    Err(down())
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    assert_eq!(upload(Payload::new(0), "a".to_owned()).await.unwrap(), "a!");
    assert_eq!(clones(), 1);
    assert_eq!(upload(Payload::new(7), "b".to_owned()).await.unwrap(), "b7");
    assert_eq!(clones(), 2);
    assert_eq!(
        retried(Payload::new(3), "c".to_owned()).await.unwrap(),
        "c3"
    );
    assert_eq!(clones(), 4);
    assert_eq!(healed(Payload::new(5), "d".to_owned()).await.unwrap(), "d5");
    assert_eq!(clones(), 2);
    assert_eq!(tuple((1, "e".to_owned()), [2, 3]).await.unwrap(), "e132");
}
