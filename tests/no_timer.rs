//! Outside a Tokio runtime with no sleeper installed: a function that
//! retries panics at its first call, before its body runs, and one under a
//! time limit when its call first waits, saying what to do; one that never
//! waits runs.

mod common;

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use common::executor::block_on;
use common::ServiceError;
use resilient_async::{circuit_breaker, retry, timeout};

#[test]
fn a_function_that_waits_panics_at_its_first_call_with_what_to_do() {
    static BODY: AtomicU32 = AtomicU32::new(0);
    #[retry(max = 2)]
    async fn retried() -> Result<u32, ServiceError> {
        BODY.fetch_add(1, SeqCst);
        Ok(1)
    }
    let panic = std::panic::catch_unwind(|| block_on(retried())).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("`retried` waits"), "{message}");
    assert!(message.contains("timer::set_sleeper"), "{message}");
    // The first call, not the first retry: the body never ran.
    assert_eq!(BODY.load(SeqCst), 0);

    #[timeout("1s")]
    async fn limited() -> Result<u32, ServiceError> {
        // The limit's timer is armed when the call first waits.
        let mut waited = false;
        std::future::poll_fn(|cx| {
            if waited {
                return std::task::Poll::Ready(());
            }
            waited = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        })
        .await;
        Ok(1)
    }
    // Same thread: a thread once refused is asked again.
    let panic = std::panic::catch_unwind(|| block_on(limited())).unwrap_err();
    assert!(panic
        .downcast_ref::<String>()
        .unwrap()
        .contains("`limited` waits"));
}

#[test]
fn a_function_that_never_waits_runs_anywhere() {
    // A time limit on a call that answers at once needs no timer.
    #[timeout("1s")]
    async fn immediate() -> Result<u32, ServiceError> {
        Ok(3)
    }
    assert_eq!(block_on(immediate()), Ok(3));
    #[circuit_breaker(threshold = 2)]
    async fn guarded() -> Result<u32, ServiceError> {
        Ok(7)
    }
    assert_eq!(block_on(guarded()), Ok(7));
    #[retry(max = 0)]
    async fn once() -> Result<u32, ServiceError> {
        Err(ServiceError::Unavailable(1))
    }
    assert_eq!(block_on(once()), Err(ServiceError::Unavailable(1)));
}
