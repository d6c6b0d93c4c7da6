//! Several attributes on one function compose as
//! `fallback(self_heal(retry(circuit_breaker(timeout(body)))))`, whatever
//! the order written. Every pair, and the full stack, under a paused clock,
//! with exact counts per layer.

mod common;

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use common::ServiceError;
use resilient_async::{circuit_breaker, fallback, retry, self_heal, timeout, Heal};
use tokio::time::{sleep, Instant};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A counter per test, so that tests running in parallel do not mix.
macro_rules! counters {
    ($($name:ident),*) => { $(static $name: AtomicU32 = AtomicU32::new(0);)* };
}

fn n(c: &AtomicU32) -> u32 {
    c.load(SeqCst)
}

async fn backup_ok() -> Result<u32, ServiceError> {
    Ok(99)
}

#[tokio::test(start_paused = true)]
async fn fallback_over_self_heal() {
    counters!(BODY, DIAG, BACKUP);
    async fn diag(_: &ServiceError) -> Heal {
        DIAG.fetch_add(1, SeqCst);
        Heal::Retry
    }
    async fn backup() -> Result<u32, ServiceError> {
        BACKUP.fetch_add(1, SeqCst);
        Ok(99)
    }
    #[self_heal(diagnoser = diag, max = 1)]
    #[fallback(backup)]
    async fn f() -> Result<u32, ServiceError> {
        BODY.fetch_add(1, SeqCst);
        Err(ServiceError::Unavailable(0))
    }
    assert_eq!(f().await, Ok(99));
    // The heal round runs inside the primary; the backup once, after it.
    assert_eq!((n(&BODY), n(&DIAG), n(&BACKUP)), (2, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn fallback_over_retry() {
    counters!(BODY);
    #[retry(max = 2, backoff = "1s")]
    #[fallback(backup_ok)]
    async fn f() -> Result<u32, ServiceError> {
        BODY.fetch_add(1, SeqCst);
        Err(ServiceError::Unavailable(0))
    }
    let start = Instant::now();
    assert_eq!(f().await, Ok(99));
    assert_eq!(n(&BODY), 3);
    assert_eq!(start.elapsed(), secs(3));
}

#[tokio::test(start_paused = true)]
async fn fallback_over_circuit_breaker() {
    counters!(BODY, BACKUP);
    async fn backup() -> Result<u32, ServiceError> {
        BACKUP.fetch_add(1, SeqCst);
        Ok(99)
    }
    #[circuit_breaker(threshold = 2, cooldown = "1m")]
    #[fallback(backup)]
    async fn f() -> Result<u32, ServiceError> {
        BODY.fetch_add(1, SeqCst);
        Err(ServiceError::Unavailable(0))
    }
    for _ in 0..3 {
        assert_eq!(f().await, Ok(99));
    }
    // The third call is refused by the open breaker and served by the
    // backup without running the body.
    assert_eq!((n(&BODY), n(&BACKUP)), (2, 3));
}

#[tokio::test(start_paused = true)]
async fn fallback_over_timeout() {
    counters!(BODY);
    #[fallback(backup_ok)]
    #[timeout("2s")]
    async fn f() -> Result<u32, ServiceError> {
        BODY.fetch_add(1, SeqCst);
        sleep(secs(10)).await;
        Ok(1)
    }
    let start = Instant::now();
    assert_eq!(f().await, Ok(99));
    assert_eq!(n(&BODY), 1);
    assert_eq!(start.elapsed(), secs(2));
}

#[tokio::test(start_paused = true)]
async fn self_heal_over_retry() {
    counters!(BODY, DIAG);
    async fn diag(_: &ServiceError) -> Heal {
        DIAG.fetch_add(1, SeqCst);
        Heal::Retry
    }
    #[retry(max = 1, backoff = "1s")]
    #[self_heal(diagnoser = diag, max = 2, backoff = "10s")]
    async fn f() -> Result<u32, ServiceError> {
        BODY.fetch_add(1, SeqCst);
        Err(ServiceError::Unavailable(0))
    }
    let start = Instant::now();
    assert!(f().await.is_err());
    // Each of the 3 rounds runs the whole retry loop (2 attempts).
    assert_eq!((n(&BODY), n(&DIAG)), (6, 2));
    // 3 rounds × 1 s of retry backoff, and 10 s + 20 s between rounds.
    assert_eq!(start.elapsed(), secs(3 + 10 + 20));
}

#[tokio::test(start_paused = true)]
async fn self_heal_over_circuit_breaker() {
    counters!(BODY, DIAG, REFUSED);
    async fn diag(e: &ServiceError) -> Heal {
        DIAG.fetch_add(1, SeqCst);
        match e {
            // The breaker refused: nothing to fix here.
            ServiceError::Open(_) => {
                REFUSED.fetch_add(1, SeqCst);
                Heal::GiveUp
            }
            _ => Heal::Retry,
        }
    }
    #[circuit_breaker(threshold = 2, cooldown = "1m")]
    #[self_heal(diagnoser = diag, max = 5)]
    async fn f() -> Result<u32, ServiceError> {
        BODY.fetch_add(1, SeqCst);
        Err(ServiceError::Unavailable(0))
    }
    assert!(matches!(f().await, Err(ServiceError::Open(_))));
    // The breaker sees each round: it opens after two, and the third round
    // is refused, which the diagnoser gives up on.
    assert_eq!((n(&BODY), n(&DIAG), n(&REFUSED)), (2, 3, 1));
}

#[tokio::test(start_paused = true)]
async fn self_heal_over_timeout() {
    counters!(BODY, DIAG);
    async fn diag(e: &ServiceError) -> Heal {
        DIAG.fetch_add(1, SeqCst);
        assert!(matches!(e, ServiceError::TimedOut(_)));
        Heal::Retry
    }
    #[timeout("1s")]
    #[self_heal(diagnoser = diag, max = 1, backoff = "1s")]
    async fn f() -> Result<u32, ServiceError> {
        let n = BODY.fetch_add(1, SeqCst);
        if n == 0 {
            sleep(secs(5)).await;
        }
        Ok(n)
    }
    let start = Instant::now();
    assert_eq!(f().await, Ok(1));
    assert_eq!((n(&BODY), n(&DIAG)), (2, 1));
    assert_eq!(start.elapsed(), secs(2));
}

#[tokio::test(start_paused = true)]
async fn retry_over_circuit_breaker() {
    counters!(BODY);
    #[circuit_breaker(threshold = 2, cooldown = "1m")]
    #[retry(max = 5, backoff = "1s", max_delay = "10s")]
    async fn retry_breaker() -> Result<u32, ServiceError> {
        BODY.fetch_add(1, SeqCst);
        Err(ServiceError::Unavailable(0))
    }
    assert!(matches!(retry_breaker().await, Err(ServiceError::Open(_))));
    // Two attempts open the breaker; the third is refused with a cooldown
    // longer than max_delay, so the retries stop there.
    assert_eq!(n(&BODY), 2);
    assert_eq!(
        resilient_async::metrics::get("retry_breaker")
            .unwrap()
            .snapshot()
            .attempts,
        3
    );
}

#[tokio::test(start_paused = true)]
async fn retry_over_timeout() {
    counters!(BODY);
    #[timeout("1s")]
    #[retry(max = 2, backoff = "1s")]
    async fn f() -> Result<u32, ServiceError> {
        BODY.fetch_add(1, SeqCst);
        sleep(secs(5)).await;
        Ok(1)
    }
    let start = Instant::now();
    assert!(matches!(f().await, Err(ServiceError::TimedOut(_))));
    // The timeout bounds each attempt: 3 × 1 s, plus 1 s and 2 s of backoff.
    assert_eq!(n(&BODY), 3);
    assert_eq!(start.elapsed(), secs(3 + 1 + 2));
}

#[tokio::test(start_paused = true)]
async fn circuit_breaker_over_timeout() {
    counters!(BODY);
    #[timeout("1s")]
    #[circuit_breaker(threshold = 2, cooldown = "1m")]
    async fn f() -> Result<u32, ServiceError> {
        BODY.fetch_add(1, SeqCst);
        sleep(secs(5)).await;
        Ok(1)
    }
    for _ in 0..2 {
        assert!(matches!(f().await, Err(ServiceError::TimedOut(_))));
    }
    assert!(matches!(f().await, Err(ServiceError::Open(_))));
    assert_eq!(n(&BODY), 2);
}

#[tokio::test(start_paused = true)]
async fn the_full_stack_in_any_written_order() {
    counters!(BODY, DIAG, BACKUP);
    async fn diag(_: &ServiceError, _: &u32) -> Heal {
        DIAG.fetch_add(1, SeqCst);
        Heal::Retry
    }
    async fn backup(x: u32) -> Result<u32, ServiceError> {
        BACKUP.fetch_add(1, SeqCst);
        Ok(x)
    }
    // Written innermost first.
    #[timeout("1s")]
    #[circuit_breaker(threshold = 100)]
    #[retry(max = 1, backoff = "1s")]
    #[self_heal(diagnoser = diag, max = 1, backoff = "10s")]
    #[fallback(backup)]
    async fn full_stack(x: u32) -> Result<u32, ServiceError> {
        BODY.fetch_add(1, SeqCst);
        sleep(secs(5)).await; // always too slow
        Ok(x)
    }
    let start = Instant::now();
    assert_eq!(full_stack(7).await, Ok(7));
    // 2 rounds × 2 attempts, each cut at 1 s; 1 s of retry backoff per
    // round; 10 s between rounds; then the backup once.
    assert_eq!((n(&BODY), n(&DIAG), n(&BACKUP)), (4, 1, 1));
    assert_eq!(start.elapsed(), secs(2 * (2 + 1) + 10));
    let breaker = resilient_async::circuit_breaker::get("full_stack")
        .unwrap()
        .snapshot();
    assert_eq!((breaker.calls, breaker.failures), (4, 4));
    let chain = resilient_async::fallback::get("full_stack")
        .unwrap()
        .snapshot();
    assert_eq!((chain.tiers[0].failures, chain.tiers[1].served), (1, 1));
    // One call, served: counted once, whatever ran inside it.
    let m = resilient_async::metrics::get("full_stack")
        .unwrap()
        .snapshot();
    assert_eq!((m.calls, m.successes, m.failures), (1, 1, 0));
    assert_eq!((m.attempts, m.retries, m.timeouts), (3, 2, 4));
}
