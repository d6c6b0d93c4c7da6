//! Thousands of tasks on the multi-thread runtime through one breaker, with
//! injected failures and an outage: every call ends as exactly one success,
//! failure or refusal, and the breaker's own figures agree with the count.

mod common;

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;

use common::ServiceError;
use resilient_async::circuit_breaker::{self as breakers, State};
use resilient_async::{circuit_breaker, metrics};

const TASKS: u64 = 8_000;

static RAN: AtomicU64 = AtomicU64::new(0);

/// Fails 30% of calls, and every call of an outage in the middle.
fn fails(i: u64) -> bool {
    (3_000..4_000).contains(&i) || i.wrapping_mul(0x9E37_79B9_7F4A_7C15) % 10 < 3
}

#[circuit_breaker(threshold = 5, cooldown = "1ms", half_open = 3, close_after = 2)]
async fn flaky_service(i: u64) -> Result<u64, ServiceError> {
    RAN.fetch_add(1, SeqCst);
    tokio::task::yield_now().await;
    if fails(i) {
        Err(ServiceError::Unavailable(0))
    } else {
        Ok(i)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_call_is_accounted_for() {
    let (ok, failed, refused) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    // Count the transitions as they happen, from every thread.
    let seen = Arc::new(AtomicU64::new(0));
    // The breaker is listed on its first call.
    let _ = flaky_service(0).await;
    let breaker = breakers::get("flaky_service").unwrap();
    let before = breaker.snapshot();
    let log = seen.clone();
    breaker.subscribe(move |_| {
        log.fetch_add(1, SeqCst);
    });

    let tasks: Vec<_> = (1..=TASKS)
        .map(|i| {
            let (ok, failed, refused) = (ok.clone(), failed.clone(), refused.clone());
            tokio::spawn(async move {
                match flaky_service(i).await {
                    Ok(_) => ok.fetch_add(1, SeqCst),
                    Err(ServiceError::Open(_)) => refused.fetch_add(1, SeqCst),
                    Err(_) => failed.fetch_add(1, SeqCst),
                };
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }

    let (ok, failed, refused) = (ok.load(SeqCst), failed.load(SeqCst), refused.load(SeqCst));
    println!("ok {ok}, failed {failed}, refused {refused}");
    assert_eq!(ok + failed + refused, TASKS);
    let after = breaker.snapshot();
    let delta = |f: fn(&breakers::BreakerSnapshot) -> u64| f(&after) - f(&before);
    // Every call that ran was admitted by the breaker, and none twice.
    assert_eq!(RAN.load(SeqCst) - 1, ok + failed);
    assert_eq!(delta(|s| s.calls), ok + failed);
    assert_eq!(delta(|s| s.successes), ok);
    assert_eq!(delta(|s| s.failures), failed);
    assert_eq!(delta(|s| s.rejections), refused);
    assert_eq!(delta(|s| s.transitions), seen.load(SeqCst));
    // The outage opened it, and the rest of the run closed it again.
    println!("{after:?}");
    assert!(after.opened > 0, "{after:?}");
    assert!(refused > 0);
    // The function's metrics count the same calls.
    let m = metrics::get("flaky_service").unwrap().snapshot();
    assert_eq!(m.calls, TASKS + 1);
    assert_eq!(m.successes + m.failures, TASKS + 1);
    assert_eq!(m.rejections, refused);
    // Nothing is left taken: once the cooldown passes, two healthy probes
    // close the breaker.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let healthy: Vec<u64> = (0..).filter(|i| !fails(*i)).take(2).collect();
    for i in healthy {
        flaky_service(i).await.unwrap();
    }
    assert_eq!(breaker.state(), State::Closed);
}
