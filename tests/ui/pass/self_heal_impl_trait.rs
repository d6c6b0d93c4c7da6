use std::io;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use resilient_async::{self_heal, Heal};

fn first_fails(attempts: &AtomicU32) -> io::Result<()> {
    if attempts.fetch_add(1, SeqCst) == 0 {
        return Err(io::ErrorKind::ConnectionReset.into());
    }
    Ok(())
}

async fn check_name(_: &io::Error, name: &impl AsRef<str>, _: &AtomicU32) -> Heal {
    assert_eq!(name.as_ref(), "you");
    Heal::Retry
}

/// Not `Clone`: lent to each round.
#[self_heal(diagnoser = check_name)]
async fn greet(name: impl AsRef<str>, attempts: &AtomicU32) -> io::Result<String> {
    first_fails(attempts)?;
    Ok(format!("hi {}", name.as_ref()))
}

async fn check_values<I: IntoIterator<Item = u32> + Clone>(
    _: &io::Error,
    values: &I,
    _: &AtomicU32,
) -> Heal {
    assert_eq!(values.clone().into_iter().count(), 3);
    Heal::Retry
}

/// `Clone`: a copy for each round, which the body consumes.
#[self_heal(diagnoser = check_values)]
async fn sum(
    values: impl IntoIterator<Item = u32> + Clone,
    attempts: &AtomicU32,
) -> io::Result<u32> {
    let total = values.into_iter().sum();
    first_fails(attempts)?;
    Ok(total)
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let attempts = AtomicU32::new(0);
    assert_eq!(greet("you", &attempts).await.unwrap(), "hi you");
    assert_eq!(attempts.load(SeqCst), 2);
    let attempts = AtomicU32::new(0);
    assert_eq!(
        greet(String::from("you"), &attempts).await.unwrap(),
        "hi you"
    );
    let attempts = AtomicU32::new(0);
    assert_eq!(sum(vec![1, 2, 3], &attempts).await.unwrap(), 6);
    assert_eq!(attempts.load(SeqCst), 2);
}
