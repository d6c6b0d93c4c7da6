//! Tests that share a binary share the process-wide breakers and figures:
//! each test resets what it uses, and passes in any order, in parallel.

mod common;

use common::ServiceError;
use resilient_async::{circuit_breaker, metrics, registry};

#[circuit_breaker(threshold = 1, cooldown = "1h")]
async fn payments(fail: bool) -> Result<u32, ServiceError> {
    if fail {
        Err(ServiceError::Unavailable(0))
    } else {
        Ok(1)
    }
}

/// Each test starts with this function's breaker closed and its figures at
/// zero; the lock keeps the two tests from interleaving (they run on
/// parallel threads, and reset only what they use).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn a_test_that_opens_the_breaker() {
    let _one_at_a_time = SERIAL.lock().await;
    assert!(registry::reset(concat!(module_path!(), "::payments")) >= 2);
    assert!(payments(true).await.is_err());
    assert!(matches!(payments(false).await, Err(ServiceError::Open(_))));
    assert_eq!(metrics::get("payments").unwrap().snapshot().calls, 2);
}

#[tokio::test]
async fn a_test_that_needs_it_closed() {
    let _one_at_a_time = SERIAL.lock().await;
    registry::reset(concat!(module_path!(), "::payments"));
    assert_eq!(payments(false).await, Ok(1));
    let m = metrics::get("payments").unwrap().snapshot();
    assert_eq!((m.calls, m.successes), (1, 1));
    let b = circuit_breaker::get("payments").unwrap().snapshot();
    assert_eq!((b.calls, b.opened), (1, 0));
}
