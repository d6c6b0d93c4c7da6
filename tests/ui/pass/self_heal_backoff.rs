use std::io;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use resilient_async::{self_heal, Heal};
use tokio::time::Instant;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

async fn retry(_: &io::Error, _: &AtomicU32, _: &u32) -> Heal {
    Heal::Retry
}

/// Asks for a second after a reset, and for 10ms otherwise.
async fn wait(error: &io::Error, _: &AtomicU32, _: &u32) -> Heal {
    match error.kind() {
        io::ErrorKind::ConnectionReset => Heal::RetryAfter(Duration::from_secs(1)),
        _ => Heal::RetryAfter(ms(10)),
    }
}

fn fail_first(attempts: &AtomicU32, fails: u32) -> io::Result<u32> {
    let n = attempts.fetch_add(1, SeqCst);
    match n {
        _ if n >= fails => Ok(n + 1),
        0 => Err(io::ErrorKind::ConnectionReset.into()),
        _ => Err(io::ErrorKind::BrokenPipe.into()),
    }
}

/// Round n waits `backoff × 2^n`: 100ms, 200ms, 400ms.
#[self_heal(diagnoser = retry, max = 3, backoff = "100ms")]
async fn doubling(attempts: &AtomicU32, fails: u32) -> io::Result<u32> {
    fail_first(attempts, fails)
}

/// The defaults: `max = 2`, `backoff = "100ms"`.
#[self_heal(diagnoser = retry)]
async fn defaults(attempts: &AtomicU32, fails: u32) -> io::Result<u32> {
    fail_first(attempts, fails)
}

/// In seconds: 50ms, 100ms.
#[self_heal(diagnoser = retry, backoff = 0.05)]
async fn seconds(attempts: &AtomicU32, fails: u32) -> io::Result<u32> {
    fail_first(attempts, fails)
}

/// `RetryAfter` waits the longer of its delay and the round's backoff:
/// 1s (over 100ms), then 200ms (over 10ms).
#[self_heal(diagnoser = wait)]
async fn asked(attempts: &AtomicU32, fails: u32) -> io::Result<u32> {
    fail_first(attempts, fails)
}

async fn timed(
    call: impl std::future::Future<Output = io::Result<u32>>,
) -> (io::Result<u32>, Duration) {
    let start = Instant::now();
    let out = call.await;
    (out, start.elapsed())
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let attempts = AtomicU32::new(0);
    let (out, took) = timed(doubling(&attempts, 3)).await;
    assert_eq!((out.unwrap(), took), (4, ms(100 + 200 + 400)));

    let attempts = AtomicU32::new(0);
    let (out, took) = timed(defaults(&attempts, 9)).await;
    assert_eq!(out.unwrap_err().kind(), io::ErrorKind::BrokenPipe);
    // Three runs; no wait once the rounds are spent.
    assert_eq!((attempts.load(SeqCst), took), (3, ms(100 + 200)));

    let attempts = AtomicU32::new(0);
    let (out, took) = timed(seconds(&attempts, 2)).await;
    assert_eq!((out.unwrap(), took), (3, ms(50 + 100)));

    let attempts = AtomicU32::new(0);
    let (out, took) = timed(asked(&attempts, 2)).await;
    assert_eq!((out.unwrap(), took), (3, ms(1000 + 200)));
}
