//! The figures the tutorial prints: per-call durations (a latency summary
//! per function, once calls are timed), the last error, and the rates.

mod common;

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use common::ServiceError;
use resilient_async::metrics;
use resilient_async::{circuit_breaker, retry};
use tokio::time::sleep;

#[tokio::test(start_paused = true)]
async fn timed_calls_give_a_latency_summary_and_the_last_error() {
    metrics::time_calls(true);
    static CALLS: AtomicU32 = AtomicU32::new(0);
    #[retry(max = 1, backoff = "1s")]
    async fn ocr(fail: bool) -> Result<u32, ServiceError> {
        let n = CALLS.fetch_add(1, SeqCst);
        sleep(Duration::from_millis(100)).await;
        if fail {
            Err(ServiceError::Unavailable(n))
        } else {
            Ok(n)
        }
    }
    for _ in 0..9 {
        ocr(false).await.unwrap();
    }
    assert!(ocr(true).await.is_err());
    let s = metrics::get("figures::ocr").unwrap().snapshot();
    let latency = s.latency.expect("timed");
    assert_eq!(latency.count, 10);
    // Nine calls of 100 ms, one of 100 ms + 1 s + 100 ms.
    assert_eq!(latency.max, Duration::from_millis(1200));
    assert_eq!(latency.mean, Duration::from_millis(210));
    assert!(latency.p50 >= Duration::from_millis(88) && latency.p50 <= Duration::from_millis(113));
    assert_eq!(s.last_error.as_deref(), Some("503 on attempt 10"));
    // The tutorial's figures, as percentages.
    assert_eq!(s.success_rate() * 100.0, 90.0);
    assert_eq!(s.retry_rate() * 100.0, 10.0);
    assert_eq!(s.avg_attempts(), 1.1);

    // A function whose error is not `Display` is timed, with no last error.
    #[derive(Debug)]
    struct Opaque;
    impl From<resilient_async::CircuitOpen> for Opaque {
        fn from(_: resilient_async::CircuitOpen) -> Self {
            Opaque
        }
    }
    #[circuit_breaker(threshold = 5)]
    async fn opaque() -> Result<(), Opaque> {
        Err(Opaque)
    }
    assert!(opaque().await.is_err());
    let s = metrics::get("figures::opaque").unwrap().snapshot();
    assert_eq!((s.latency.unwrap().count, s.last_error), (1, None));

    resilient_async::registry::reset("figures::ocr");
    let s = metrics::get("figures::ocr").unwrap().snapshot();
    assert_eq!((s.latency, s.last_error), (None, None));
}
