//! Every user callback may panic: bodies, `retry_if`, `record_if`, `when`,
//! diagnosers, listeners, batch callbacks. After each panic the state is
//! consistent, a probe's permit is back, and the figures add up.

mod common;

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use common::ServiceError;
use resilient_async::circuit_breaker::State;
use resilient_async::{circuit_breaker, fallback, metrics, retry, Batch};

async fn spawn_and_expect_panic<T: Send + std::fmt::Debug + 'static>(
    f: impl std::future::Future<Output = T> + Send + 'static,
) {
    assert!(tokio::spawn(f).await.unwrap_err().is_panic());
}

fn conserved(name: &str) {
    let m = metrics::get(name).unwrap().snapshot();
    assert_eq!(m.calls, m.successes + m.failures, "{name}: {m:?}");
    assert_eq!(m.attempts, m.calls + m.retries, "{name}: {m:?}");
}

static BODY: AtomicU32 = AtomicU32::new(0);

#[retry(max = 1, backoff = "1ms")]
#[circuit_breaker(threshold = 1, cooldown = "10ms")]
async fn body_panics_as_a_probe() -> Result<u32, ServiceError> {
    match BODY.fetch_add(1, SeqCst) {
        0 => Err(ServiceError::Unauthorized), // opens the breaker
        1 => panic!("body bug"),              // the probe
        n => Ok(n),
    }
}

#[tokio::test(start_paused = true)]
async fn a_body_that_panics_as_a_probe_gives_its_permit_back() {
    assert_eq!(
        body_panics_as_a_probe().await,
        Err(ServiceError::Unauthorized)
    );
    tokio::time::advance(Duration::from_millis(10)).await;
    spawn_and_expect_panic(body_panics_as_a_probe()).await;
    // The next call probes and closes the breaker.
    assert_eq!(body_panics_as_a_probe().await, Ok(2));
    let b = resilient_async::circuit_breaker::get("body_panics_as_a_probe").unwrap();
    assert_eq!(b.state(), State::Closed);
    conserved("body_panics_as_a_probe");
}

fn record_panics(_: &ServiceError) -> bool {
    panic!("record_if bug")
}

static RECORDED: AtomicU32 = AtomicU32::new(0);

#[circuit_breaker(threshold = 1, cooldown = "10ms", record_if = record_panics)]
async fn record_if_panics() -> Result<u32, ServiceError> {
    if RECORDED.fetch_add(1, SeqCst) == 0 {
        return Err(ServiceError::Unauthorized);
    }
    Ok(1)
}

#[tokio::test(start_paused = true)]
async fn a_record_if_that_panics_leaves_the_breaker_usable() {
    spawn_and_expect_panic(record_if_panics()).await;
    assert_eq!(record_if_panics().await, Ok(1));
    let b = resilient_async::circuit_breaker::get("record_if_panics").unwrap();
    assert_eq!(b.state(), State::Closed);
    conserved("record_if_panics");
}

fn retry_if_panics(_: &ServiceError) -> bool {
    panic!("retry_if bug")
}

static CLASSIFIED: AtomicU32 = AtomicU32::new(0);

#[retry(max = 2, retry_if = retry_if_panics)]
#[circuit_breaker(threshold = 5)]
async fn classification_panics() -> Result<u32, ServiceError> {
    if CLASSIFIED.fetch_add(1, SeqCst) == 0 {
        return Err(ServiceError::Unavailable(1));
    }
    Ok(2)
}

#[tokio::test(start_paused = true)]
async fn a_retry_if_that_panics_leaves_every_layer_consistent() {
    spawn_and_expect_panic(classification_panics()).await;
    assert_eq!(classification_panics().await, Ok(2));
    let b = resilient_async::circuit_breaker::get("classification_panics")
        .unwrap()
        .snapshot();
    // The breaker saw both attempts, before the predicate ran.
    assert_eq!((b.calls, b.failures, b.state), (2, 1, State::Closed));
    conserved("classification_panics");
}

fn when_panics(_: &ServiceError) -> bool {
    panic!("when bug")
}

async fn spare() -> Result<u32, ServiceError> {
    Ok(9)
}

static PRIMARY: AtomicU32 = AtomicU32::new(0);

#[fallback(spare, when = when_panics)]
async fn fallback_predicate_panics() -> Result<u32, ServiceError> {
    if PRIMARY.fetch_add(1, SeqCst) == 0 {
        return Err(ServiceError::Unavailable(0));
    }
    Ok(1)
}

#[tokio::test(start_paused = true)]
async fn a_when_that_panics_leaves_the_chain_consistent() {
    spawn_and_expect_panic(fallback_predicate_panics()).await;
    assert_eq!(fallback_predicate_panics().await, Ok(1));
    let chain = resilient_async::fallback::get("fallback_predicate_panics")
        .unwrap()
        .snapshot();
    let calls: u64 = chain.tiers.iter().map(|t| t.calls).sum();
    assert_eq!(
        calls,
        chain.served() + chain.tiers.iter().map(|t| t.failures).sum::<u64>()
    );
    conserved("fallback_predicate_panics");
}

#[tokio::test]
async fn a_batch_whose_progress_callback_panics_loses_no_outcome() {
    let out = Batch::new(0..20u32)
        .concurrency(4)
        .on_progress(|p| {
            if p.done % 3 == 0 {
                panic!("progress bar bug");
            }
        })
        .run(async |n: &u32| if n % 2 == 0 { Ok(*n) } else { Err("odd") })
        .await;
    assert_eq!(out.len(), 20);
    assert_eq!(out.success_count(), 10);
}
