//! Real error types: `Box<dyn Error + Send + Sync>` and `anyhow::Error`
//! under every attribute, hints kept through a `retry_if` predicate, and
//! `retry_on` for results that arrive as `Ok`.

mod common;

use std::error::Error;
use std::io;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use common::ServiceError;
use resilient_async::{circuit_breaker, fallback, retry, timeout, CircuitOpen, TimedOut};
use tokio::time::{sleep, Instant};

type BoxError = Box<dyn Error + Send + Sync>;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

macro_rules! counters {
    ($($name:ident),*) => { $(static $name: AtomicU32 = AtomicU32::new(0);)* };
}

// ---- Box<dyn Error + Send + Sync> -------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_boxed_error_takes_every_attribute() {
    counters!(CALLS);
    async fn backup() -> Result<u32, BoxError> {
        Ok(7)
    }
    #[retry(max = 2, backoff = "1s")]
    #[circuit_breaker(threshold = 10)]
    #[timeout("5s")]
    #[fallback(backup)]
    async fn flaky() -> Result<u32, BoxError> {
        match CALLS.fetch_add(1, SeqCst) {
            0 => Err(io::Error::from(io::ErrorKind::ConnectionReset).into()),
            1 => {
                sleep(secs(60)).await; // cut by the timeout
                Ok(0)
            }
            _ => Ok(42),
        }
    }
    let start = Instant::now();
    assert_eq!(flaky().await.unwrap(), 42);
    assert_eq!(CALLS.load(SeqCst), 3);
    // 1 s, 5 s cut, 2 s.
    assert_eq!(start.elapsed(), secs(8));
}

#[tokio::test(start_paused = true)]
async fn a_boxed_error_is_classified_by_its_chain() {
    counters!(PERMANENT, UNKNOWN);
    #[retry(max = 3, backoff = "1s")]
    async fn denied() -> Result<(), BoxError> {
        PERMANENT.fetch_add(1, SeqCst);
        Err(io::Error::from(io::ErrorKind::PermissionDenied).into())
    }
    #[retry(max = 3, backoff = "1s")]
    async fn overloaded() -> Result<(), BoxError> {
        UNKNOWN.fetch_add(1, SeqCst);
        Err("model overloaded".into())
    }
    let err = denied().await.unwrap_err();
    assert_eq!(err.to_string(), "permission denied");
    assert_eq!(PERMANENT.load(SeqCst), 1);
    assert!(overloaded().await.is_err());
    assert_eq!(UNKNOWN.load(SeqCst), 4);
}

/// An error of the user's that wraps one of ours as its source.
#[derive(Debug)]
struct Wrapped(io::Error);

impl std::fmt::Display for Wrapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("calling the OCR service")
    }
}

impl Error for Wrapped {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.0)
    }
}

#[test]
fn the_chain_is_walked_through_io_errors_to_our_own() {
    use resilient_async::Transient;
    let open = CircuitOpen::new("ocr", Some(secs(30)));
    let e: BoxError = Box::new(Wrapped(io::Error::other(open)));
    assert!(e.is_transient());
    assert_eq!(e.retry_after(), Some(secs(30)));
    let e: BoxError = Box::new(Wrapped(io::Error::from(io::ErrorKind::NotFound)));
    assert!(!e.is_transient());
    let e: BoxError = Box::new(TimedOut::new(secs(5)));
    assert!(e.is_transient());
}

#[tokio::test(start_paused = true)]
async fn a_boxed_error_keeps_the_cooldown_of_an_open_breaker() {
    counters!(CALLS);
    // The first attempt fails and opens the breaker; the retry is refused
    // with the rest of the cooldown as its wait, sleeps it, and probes.
    #[retry(max = 2, backoff = "10ms", max_delay = "1m")]
    #[circuit_breaker(threshold = 1, cooldown = "20s")]
    async fn call() -> Result<u32, BoxError> {
        match CALLS.fetch_add(1, SeqCst) {
            0 => Err("503".into()),
            _ => Ok(1),
        }
    }
    let start = Instant::now();
    assert_eq!(call().await.unwrap(), 1);
    assert_eq!(CALLS.load(SeqCst), 2);
    assert_eq!(start.elapsed(), secs(20));
}

#[tokio::test(start_paused = true)]
async fn a_refusal_is_returned_as_circuit_open_inside_a_boxed_error() {
    #[circuit_breaker(threshold = 1, cooldown = "20s")]
    async fn call() -> Result<u32, BoxError> {
        Err("503".into())
    }
    assert!(call().await.is_err());
    let err = call().await.unwrap_err();
    let open = err.downcast_ref::<CircuitOpen>().expect("a refusal");
    assert_eq!(open.retry_after(), Some(secs(20)));
}

// ---- anyhow -----------------------------------------------------------------

#[cfg(feature = "anyhow")]
mod with_anyhow {
    use super::*;
    use anyhow::Context;

    #[tokio::test(start_paused = true)]
    async fn anyhow_takes_every_attribute() {
        counters!(CALLS);
        async fn backup() -> anyhow::Result<u32> {
            Ok(7)
        }
        #[retry(max = 2, backoff = "1s")]
        #[circuit_breaker(threshold = 10)]
        #[timeout("5s")]
        #[fallback(backup)]
        async fn flaky() -> anyhow::Result<u32> {
            match CALLS.fetch_add(1, SeqCst) {
                0 => Err(io::Error::from(io::ErrorKind::ConnectionReset))
                    .context("calling the OCR service"),
                1 => {
                    sleep(secs(60)).await;
                    Ok(0)
                }
                _ => Ok(42),
            }
        }
        let start = Instant::now();
        assert_eq!(flaky().await.unwrap(), 42);
        assert_eq!(CALLS.load(SeqCst), 3);
        assert_eq!(start.elapsed(), secs(8));
    }

    #[tokio::test(start_paused = true)]
    async fn context_around_a_permanent_error_keeps_it_permanent() {
        counters!(CALLS);
        #[retry(max = 3)]
        async fn read() -> anyhow::Result<()> {
            CALLS.fetch_add(1, SeqCst);
            Err(io::Error::from(io::ErrorKind::InvalidData)).context("reading the receipt")
        }
        let err = read().await.unwrap_err();
        assert_eq!(err.to_string(), "reading the receipt");
        assert_eq!(CALLS.load(SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn anyhow_waits_out_the_cooldown_and_probes() {
        counters!(CALLS);
        #[retry(max = 2, backoff = "10ms", max_delay = "1m")]
        #[circuit_breaker(threshold = 1, cooldown = "20s")]
        async fn call() -> anyhow::Result<u32> {
            match CALLS.fetch_add(1, SeqCst) {
                0 => anyhow::bail!("503"),
                _ => Ok(1),
            }
        }
        let start = Instant::now();
        assert_eq!(call().await.unwrap(), 1);
        // 10 ms, a refusal at once whose wait is the rest of the cooldown,
        // then the probe.
        assert_eq!(CALLS.load(SeqCst), 2);
        assert_eq!(start.elapsed(), secs(20));
    }
}

// ---- retry_if keeps the hints -----------------------------------------------

fn always(_: &ServiceError) -> bool {
    true
}

#[tokio::test(start_paused = true)]
async fn retry_if_keeps_the_retry_after_hint() {
    counters!(CALLS);
    #[retry(max = 1, backoff = "10ms", retry_if = always)]
    async fn limited() -> Result<u32, ServiceError> {
        match CALLS.fetch_add(1, SeqCst) {
            0 => Err(ServiceError::RateLimited { wait: secs(7) }),
            _ => Ok(1),
        }
    }
    let start = Instant::now();
    assert_eq!(limited().await, Ok(1));
    assert_eq!(start.elapsed(), secs(7));
}

#[tokio::test(start_paused = true)]
async fn retry_if_waits_out_an_open_breaker_and_returns_the_real_outcome() {
    counters!(CALLS);
    #[retry(max = 2, backoff = "10ms", retry_if = always)]
    #[circuit_breaker(threshold = 1, cooldown = "20s")]
    async fn call() -> Result<u32, ServiceError> {
        match CALLS.fetch_add(1, SeqCst) {
            0 => Err(ServiceError::Unavailable(1)),
            _ => Err(ServiceError::Unauthorized),
        }
    }
    let start = Instant::now();
    // The probe runs after the cooldown: its error comes back, not
    // `CircuitOpen`.
    assert_eq!(call().await, Err(ServiceError::Unauthorized));
    assert_eq!(start.elapsed(), secs(20));
    assert_eq!(CALLS.load(SeqCst), 2);
}

/// An error with no `Transient` impl: `retry_if` alone decides.
#[derive(Debug, PartialEq)]
struct Plain(u32);

impl std::fmt::Display for Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "plain {}", self.0)
    }
}

fn odd(e: &Plain) -> bool {
    e.0 % 2 == 1
}

#[tokio::test(start_paused = true)]
async fn retry_if_works_on_an_error_without_transient() {
    counters!(CALLS);
    #[retry(max = 5, backoff = "1s", retry_if = odd)]
    async fn call() -> Result<u32, Plain> {
        Err(Plain(CALLS.fetch_add(1, SeqCst) + 1))
    }
    assert_eq!(call().await, Err(Plain(2)));
    assert_eq!(CALLS.load(SeqCst), 2);
}

// ---- retry_on ---------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
struct Response {
    status: u16,
    retry_after: Option<Duration>,
}

fn unavailable(r: &Response) -> bool {
    r.status == 503
}

fn unavailable_for(r: &Response) -> Option<Duration> {
    (r.status == 503).then(|| r.retry_after.unwrap_or_default())
}

#[tokio::test(start_paused = true)]
async fn a_refused_result_is_retried_and_counted_as_a_failed_attempt() {
    counters!(CALLS);
    #[retry(max = 3, backoff = "1s", retry_on = unavailable)]
    async fn status_page() -> Result<Response, ServiceError> {
        let status = if CALLS.fetch_add(1, SeqCst) < 2 {
            503
        } else {
            200
        };
        Ok(Response {
            status,
            retry_after: None,
        })
    }
    let start = Instant::now();
    assert_eq!(status_page().await.unwrap().status, 200);
    assert_eq!(start.elapsed(), secs(1 + 2));
    let m = resilient_async::metrics::get("status_page")
        .unwrap()
        .snapshot();
    assert_eq!((m.calls, m.attempts, m.retries), (1, 3, 2));
    assert_eq!((m.successes, m.failures), (1, 0));
}

#[tokio::test(start_paused = true)]
async fn when_retries_run_out_the_last_result_is_returned_as_it_was() {
    counters!(CALLS);
    #[retry(max = 2, backoff = "1s", retry_on = unavailable)]
    async fn always_down() -> Result<Response, ServiceError> {
        CALLS.fetch_add(1, SeqCst);
        Ok(Response {
            status: 503,
            retry_after: Some(secs(1)),
        })
    }
    let out = always_down().await.unwrap();
    assert_eq!(out.status, 503);
    assert_eq!(CALLS.load(SeqCst), 3);
    let m = resilient_async::metrics::get("always_down")
        .unwrap()
        .snapshot();
    assert_eq!((m.calls, m.attempts, m.successes, m.failures), (1, 3, 0, 1));
}

#[tokio::test(start_paused = true)]
async fn a_check_can_give_the_wait_from_retry_after() {
    counters!(CALLS);
    #[retry(max = 1, backoff = "10ms", retry_on = unavailable_for)]
    async fn busy() -> Result<Response, ServiceError> {
        let first = CALLS.fetch_add(1, SeqCst) == 0;
        Ok(Response {
            status: if first { 503 } else { 200 },
            retry_after: Some(secs(9)),
        })
    }
    let start = Instant::now();
    assert_eq!(busy().await.unwrap().status, 200);
    assert_eq!(start.elapsed(), secs(9));
}

#[tokio::test(start_paused = true)]
async fn a_refused_result_counts_against_the_breaker() {
    counters!(CALLS);
    #[retry(max = 1, backoff = "1s", retry_on = unavailable)]
    #[circuit_breaker(threshold = 2, cooldown = "1m")]
    async fn gateway() -> Result<Response, ServiceError> {
        CALLS.fetch_add(1, SeqCst);
        Ok(Response {
            status: 503,
            retry_after: None,
        })
    }
    // Two refused results open the breaker: the retry's second attempt
    // was the second failure, so the next call is refused at once.
    assert_eq!(gateway().await.unwrap().status, 503);
    let b = resilient_async::circuit_breaker::get("gateway").unwrap();
    assert_eq!(
        b.snapshot().state,
        resilient_async::circuit_breaker::State::Open
    );
    assert!(matches!(gateway().await, Err(ServiceError::Open(_))));
    assert_eq!(CALLS.load(SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn retry_on_and_retry_if_together() {
    counters!(CALLS);
    #[retry(max = 4, backoff = "1s", retry_if = always, retry_on = unavailable)]
    async fn mixed() -> Result<Response, ServiceError> {
        match CALLS.fetch_add(1, SeqCst) {
            0 => Err(ServiceError::Unauthorized),
            1 => Ok(Response {
                status: 503,
                retry_after: None,
            }),
            _ => Ok(Response {
                status: 200,
                retry_after: None,
            }),
        }
    }
    assert_eq!(mixed().await.unwrap().status, 200);
    assert_eq!(CALLS.load(SeqCst), 3);
}
