use std::fmt::{Debug, Display};
use std::io;
use std::num::ParseIntError;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use resilient_async::{self_heal, Heal};

async fn refill<T: Debug>(error: &io::Error, items: &Vec<T>, attempts: &AtomicU32) -> Heal {
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    let _ = (items, attempts);
    Heal::Retry
}

/// Empty on the first run.
#[self_heal(diagnoser = refill)]
async fn first<T>(items: Vec<T>, attempts: &AtomicU32) -> io::Result<T>
where
    T: Clone + Debug,
{
    if attempts.fetch_add(1, SeqCst) == 0 {
        return Err(io::ErrorKind::NotFound.into());
    }
    items
        .into_iter()
        .next()
        .ok_or_else(|| io::ErrorKind::NotFound.into())
}

/// Generic over the error: inferred from `&E`.
async fn trim<E: Display>(error: &E, text: &str) -> Heal {
    let _ = error.to_string();
    if text.trim() == text {
        Heal::GiveUp
    } else {
        Heal::Retry
    }
}

/// A turbofish names the diagnoser's instantiation.
#[self_heal(diagnoser = trim::<E>, max = 1)]
async fn parse<E>(text: &str) -> Result<u32, E>
where
    E: From<ParseIntError> + Display,
{
    let attempt = resilient_async::heal::get("parse").map_or(0, |h| h.snapshot().diagnosed);
    let text = if attempt > 0 { text.trim() } else { text };
    Ok(text.parse::<u32>()?)
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let attempts = AtomicU32::new(0);
    assert_eq!(first(vec![1, 2], &attempts).await.unwrap(), 1);
    assert_eq!(attempts.load(SeqCst), 2);
    let attempts = AtomicU32::new(0);
    assert_eq!(first(vec!["a".to_owned()], &attempts).await.unwrap(), "a");
    assert_eq!(parse::<ParseIntError>(" 7").await.unwrap(), 7);
    assert!(parse::<ParseIntError>("x").await.is_err());
    let figures = resilient_async::heal::get("parse").unwrap().snapshot();
    assert_eq!(
        (figures.diagnosed, figures.healed, figures.gave_up),
        (2, 1, 1)
    );
}
