#![deny(unused_imports)]
// Written in a shuffled order, the five attributes compose as
// fallback(self_heal(retry(circuit_breaker(timeout(body))))).

use std::io;
use std::sync::Mutex;
use std::time::Duration;

use resilient_async::{circuit_breaker, fallback, retry, self_heal, timeout, Heal};
use tokio::time::{sleep, Instant};

static LOG: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

fn log(event: &'static str) {
    LOG.lock().unwrap().push(event);
}

fn take_log() -> Vec<&'static str> {
    std::mem::take(&mut *LOG.lock().unwrap())
}

async fn diagnose(error: &io::Error, page: &str) -> Heal {
    assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    let _ = page;
    log("diagnose");
    Heal::Retry
}

async fn backup(page: &str) -> io::Result<String> {
    log("backup");
    Ok(format!("{page} read by the backup"))
}

/// Every attempt outlives its time limit: a transient `TimedOut`.
#[timeout("1s")]
#[retry(max = 1, backoff = "10ms")]
#[fallback(backup)]
#[circuit_breaker(threshold = 100)]
#[self_heal(diagnoser = diagnose, max = 1)]
async fn ocr(page: &str) -> io::Result<String> {
    log("body");
    sleep(Duration::from_secs(2)).await;
    Ok(page.to_owned())
}

async fn never(_: &str) -> io::Result<String> {
    log("never");
    Ok(String::new())
}

/// Succeeds on the third attempt, the first of the second heal round (the
/// attempt count goes on across rounds).
#[self_heal(diagnoser = diagnose, max = 1)]
#[circuit_breaker(threshold = 100)]
#[fallback(never)]
#[timeout("1s")]
#[retry(max = 1, backoff = "10ms")]
async fn healed(page: &str) -> io::Result<String> {
    log("body");
    let attempt = resilient_async::attempt()
        .expect("inside a retried call")
        .number();
    let rounds = resilient_async::heal::get("healed").map_or(0, |h| h.snapshot().diagnosed);
    if rounds == 0 || attempt != 3 {
        sleep(Duration::from_secs(2)).await;
    }
    Ok(format!("{page} healed"))
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let start = Instant::now();
    assert_eq!(ocr("p1").await.unwrap(), "p1 read by the backup");
    // Two attempts per heal round, two rounds, then the fallback tier.
    assert_eq!(
        take_log(),
        ["body", "body", "diagnose", "body", "body", "backup"]
    );
    // Each attempt is timed on its own (4 × 1s), with the retry's delay
    // (10ms) inside each round and the heal's (100ms) between them.
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(4 * 1000 + 2 * 10 + 100)
    );

    let breaker = resilient_async::circuit_breaker::get("ocr").unwrap().snapshot();
    assert_eq!((breaker.calls, breaker.failures), (4, 4));
    let heal = resilient_async::heal::get("ocr").unwrap().snapshot();
    assert_eq!((heal.diagnosed, heal.healed, heal.gave_up), (1, 0, 1));
    let chain = resilient_async::fallback::get("ocr").unwrap().snapshot();
    let tiers: Vec<_> = chain
        .tiers
        .iter()
        .map(|t| (t.name, t.served, t.failures))
        .collect();
    assert_eq!(tiers, [("ocr", 0, 1), ("backup", 1, 0)]);
    let metrics = resilient_async::metrics::get("ocr").unwrap().snapshot();
    // One call, served by the fallback: counted once.
    assert_eq!((metrics.calls, metrics.successes, metrics.failures), (1, 1, 0));
    assert_eq!(
        (metrics.attempts, metrics.retries, metrics.timeouts),
        (3, 2, 4)
    );

    let start = Instant::now();
    assert_eq!(healed("p2").await.unwrap(), "p2 healed");
    assert_eq!(take_log(), ["body", "body", "diagnose", "body"]);
    assert_eq!(start.elapsed(), Duration::from_millis(2 * 1000 + 10 + 100));
    let heal = resilient_async::heal::get("healed").unwrap().snapshot();
    assert_eq!((heal.diagnosed, heal.healed, heal.gave_up), (1, 1, 0));
    let breaker = resilient_async::circuit_breaker::get("healed")
        .unwrap()
        .snapshot();
    assert_eq!((breaker.calls, breaker.failures), (3, 2));
    let chain = resilient_async::fallback::get("healed").unwrap().snapshot();
    assert_eq!((chain.tiers[0].served, chain.tiers[1].calls), (1, 0));
}
