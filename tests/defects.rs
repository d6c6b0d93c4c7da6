//! One test per defect of the attributes that hostile conditions found
//! (issue 11), under a paused clock: each failed before its fix.

mod common;

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::Mutex;
use std::time::Duration;

use common::ServiceError;
use resilient_async::{attempt, circuit_breaker, fallback, retry, self_heal, Heal, IdempotencyKey};
use tokio::time::Instant;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

static DIAGNOSED: AtomicU32 = AtomicU32::new(0);

async fn fix_then_retry(_: &ServiceError) -> Heal {
    DIAGNOSED.fetch_add(1, SeqCst);
    Heal::Retry
}

static SEEN: Mutex<Vec<(u32, IdempotencyKey)>> = Mutex::new(Vec::new());

#[self_heal(diagnoser = fix_then_retry, max = 1, backoff = "10ms")]
#[retry(max = 1, backoff = "1ms")]
async fn healed_over_retries() -> Result<u32, ServiceError> {
    let a = attempt().unwrap();
    SEEN.lock().unwrap().push((a.number(), a.idempotency_key()));
    if a.number() < 3 {
        return Err(ServiceError::Unavailable(a.number()));
    }
    Ok(a.number())
}

#[tokio::test(start_paused = true)]
async fn heal_rounds_continue_the_attempt_count_and_keep_the_key() {
    assert_eq!(healed_over_retries().await, Ok(3));
    let seen = SEEN.lock().unwrap();
    let numbers: Vec<u32> = seen.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert!(seen.iter().all(|(_, k)| *k == seen[0].1), "{seen:?}");
}

async fn backup(tier_keys: &Mutex<Vec<IdempotencyKey>>) -> Result<u32, ServiceError> {
    tier_keys.lock().unwrap().push(
        attempt()
            .expect("a tier runs in the call's attempt")
            .idempotency_key(),
    );
    Ok(7)
}

#[fallback(backup)]
#[retry(max = 1, backoff = "1ms")]
async fn primary_fails(tier_keys: &Mutex<Vec<IdempotencyKey>>) -> Result<u32, ServiceError> {
    tier_keys
        .lock()
        .unwrap()
        .push(attempt().unwrap().idempotency_key());
    Err(ServiceError::Unavailable(0))
}

#[tokio::test(start_paused = true)]
async fn a_fallback_tier_keeps_the_calls_key() {
    let keys = Mutex::new(Vec::new());
    assert_eq!(primary_fails(&keys).await, Ok(7));
    let keys = keys.into_inner().unwrap();
    assert_eq!(keys.len(), 3);
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
}

// ---- one remedy at a time, shared ---------------------------------------

static REMEDY_RUNS: AtomicU32 = AtomicU32::new(0);

/// A remedy that takes 1 s and asks everyone to wait 60 s.
async fn rate_limited(_: &ServiceError, _: &Instant) -> Heal {
    REMEDY_RUNS.fetch_add(1, SeqCst);
    tokio::time::sleep(Duration::from_secs(1)).await;
    Heal::RetryAfter(Duration::from_secs(60))
}

static RETRIES_AT: Mutex<Vec<Duration>> = Mutex::new(Vec::new());

#[self_heal(diagnoser = rate_limited, max = 1)]
async fn busy(start: Instant) -> Result<(), ServiceError> {
    let n = attempt().unwrap().number();
    if n > 1 {
        RETRIES_AT.lock().unwrap().push(start.elapsed());
        return Ok(());
    }
    Err(ServiceError::Unavailable(n))
}

#[tokio::test(start_paused = true)]
async fn callers_who_share_a_remedy_honour_its_retry_after() {
    let start = Instant::now();
    let calls: Vec<_> = (0..5).map(|_| tokio::spawn(busy(start))).collect();
    for c in calls {
        c.await.unwrap().unwrap();
    }
    assert_eq!(REMEDY_RUNS.load(SeqCst), 1);
    // The leader waited 1 s + 60 s; the others joined at 0 s and wait the
    // 60 s asked for, from when the remedy told them, not 100 ms.
    let at = RETRIES_AT.lock().unwrap();
    assert_eq!(at.len(), 5);
    assert!(at.iter().all(|t| *t == Duration::from_secs(61)), "{at:?}");
    let h = resilient_async::heal::get("busy").unwrap().snapshot();
    assert_eq!((h.diagnosed, h.joined, h.healed), (1, 4, 5));
}

static GIVE_UPS: AtomicU32 = AtomicU32::new(0);

async fn slow_give_up(_: &ServiceError) -> Heal {
    GIVE_UPS.fetch_add(1, SeqCst);
    tokio::time::sleep(Duration::from_secs(1)).await;
    Heal::GiveUp
}

#[self_heal(diagnoser = slow_give_up)]
async fn hopeless() -> Result<(), ServiceError> {
    Err(ServiceError::Unauthorized)
}

#[tokio::test(start_paused = true)]
async fn callers_whose_diagnosis_is_give_up_do_not_wait_in_line() {
    let start = Instant::now();
    let calls: Vec<_> = (0..10).map(|_| tokio::spawn(hopeless())).collect();
    for c in calls {
        assert_eq!(c.await.unwrap(), Err(ServiceError::Unauthorized));
    }
    // One diagnosis, shared: the tenth caller waits 1 s, not 10 s.
    assert_eq!(GIVE_UPS.load(SeqCst), 1);
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

async fn hangs(_: &ServiceError) -> Heal {
    std::future::pending().await
}

#[self_heal(diagnoser = hangs, timeout = "2s")]
async fn stuck_by_its_own_limit() -> Result<(), ServiceError> {
    Err(ServiceError::Unavailable(0))
}

#[self_heal(diagnoser = hangs)]
#[retry(max = 0, deadline = "5s")]
async fn stuck_by_the_deadline() -> Result<(), ServiceError> {
    Err(ServiceError::Unavailable(0))
}

#[tokio::test(start_paused = true)]
async fn a_hanging_diagnoser_is_bounded() {
    let start = Instant::now();
    let calls: Vec<_> = (0..3)
        .map(|_| tokio::spawn(stuck_by_its_own_limit()))
        .collect();
    for c in calls {
        assert_eq!(c.await.unwrap(), Err(ServiceError::Unavailable(0)));
    }
    assert_eq!(start.elapsed(), Duration::from_secs(2));

    let start = Instant::now();
    assert_eq!(
        stuck_by_the_deadline().await,
        Err(ServiceError::Unavailable(0))
    );
    assert_eq!(start.elapsed(), Duration::from_secs(5));
}

static PANICKY: AtomicU32 = AtomicU32::new(0);

async fn panics_once(_: &ServiceError) -> Heal {
    if PANICKY.fetch_add(1, SeqCst) == 0 {
        tokio::time::sleep(ms(10)).await;
        panic!("diagnoser bug");
    }
    Heal::Retry
}

static FLAKY: AtomicU32 = AtomicU32::new(0);

#[self_heal(diagnoser = panics_once, backoff = "1ms")]
async fn heals_after_a_panic() -> Result<(), ServiceError> {
    if FLAKY.fetch_add(1, SeqCst) < 2 {
        return Err(ServiceError::Unavailable(0));
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_diagnoser_that_panics_hands_the_slot_on() {
    let first = tokio::spawn(heals_after_a_panic());
    tokio::task::yield_now().await;
    let second = tokio::spawn(heals_after_a_panic());
    assert!(first.await.unwrap_err().is_panic());
    // The waiting caller takes the slot over and heals.
    assert_eq!(second.await.unwrap(), Ok(()));
    assert_eq!(PANICKY.load(SeqCst), 2);
}

// ---- a named breaker beside a function of that name ------------------------

#[circuit_breaker(threshold = 1, cooldown = "1h")]
async fn ocr() -> Result<(), ServiceError> {
    Err(ServiceError::Unavailable(0))
}

#[circuit_breaker(name = "ocr", threshold = 1, cooldown = "1h")]
async fn other() -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_named_breaker_never_shares_a_functions_own() {
    // Whichever is called first, the function's failure does not refuse
    // the named breaker's calls.
    let _ = ocr().await;
    assert_eq!(other().await, Ok(()));
    let own = circuit_breaker::get(concat!(module_path!(), "::ocr")).unwrap();
    let named = circuit_breaker::get("ocr").unwrap();
    assert_eq!(own.state(), circuit_breaker::State::Open);
    assert_eq!(named.state(), circuit_breaker::State::Closed);
    assert_eq!(named.name(), "ocr");
}
