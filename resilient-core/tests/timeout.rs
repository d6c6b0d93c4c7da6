//! `timeout::timeout` and `timeout::observe`, under a paused Tokio clock.

use std::fmt;
use std::time::Duration;

use resilient_core::metrics::{self, Metrics};
use resilient_core::timeout::timeout;

/// A call counted in `metrics` when it finishes, as the attributes count.
async fn observe<T>(
    metrics: &Metrics,
    call: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let mut state = resilient_core::private::Call::new(metrics);
    let out = state.scope(call).await;
    state.finish(&out);
    out
}
use resilient_core::{attempt, TimedOut, Transient};
use tokio::time::{sleep, Instant};

#[derive(Debug, Clone, PartialEq)]
enum E {
    Failed(&'static str),
    TimedOut(TimedOut),
}

impl fmt::Display for E {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            E::Failed(why) => write!(f, "failed: {why}"),
            E::TimedOut(t) => t.fmt(f),
        }
    }
}

impl Transient for E {
    fn is_transient(&self) -> bool {
        matches!(self, E::TimedOut(_))
    }
}

impl From<TimedOut> for E {
    fn from(t: TimedOut) -> Self {
        E::TimedOut(t)
    }
}

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[tokio::test(start_paused = true)]
async fn a_slow_call_fails_at_exactly_the_limit() {
    static FIGURES: Metrics = Metrics::new("slow_call", module_path!());
    let t0 = Instant::now();
    let out: Result<(), E> = resilient_core::private::timeout(secs(30), &FIGURES, E::from, async {
        sleep(secs(60)).await;
        Ok(())
    })
    .await;
    assert_eq!(out, Err(E::TimedOut(TimedOut::new(secs(30)))));
    assert_eq!(Instant::now() - t0, secs(30));
    match out {
        Err(E::TimedOut(t)) => {
            assert_eq!(t.after(), secs(30));
            assert_eq!(t.to_string(), "timed out after 30s");
            assert!(t.is_transient());
        }
        other => panic!("{other:?}"),
    }
    // `timeout` counts the timeout only; calls are counted by `observe` or a
    // retry.
    let s = FIGURES.snapshot();
    assert_eq!((s.timeouts, s.calls, s.failures), (1, 0, 0));
}

#[tokio::test(start_paused = true)]
async fn a_call_that_never_finishes_is_cut() {
    let t0 = Instant::now();
    let out: Result<(), E> = timeout(secs(5), std::future::pending()).await;
    assert_eq!(out, Err(E::TimedOut(TimedOut::new(secs(5)))));
    assert_eq!(Instant::now() - t0, secs(5));
}

#[tokio::test(start_paused = true)]
async fn a_fast_call_passes_its_result_through() {
    static FIGURES: Metrics = Metrics::new("fast_call", module_path!());
    let t0 = Instant::now();
    let ok: Result<u32, E> = resilient_core::private::timeout(secs(30), &FIGURES, E::from, async {
        sleep(Duration::from_millis(29_999)).await;
        Ok(7)
    })
    .await;
    assert_eq!(ok, Ok(7));
    assert_eq!(Instant::now() - t0, Duration::from_millis(29_999));

    // The call's own error comes back unchanged, not as a timeout.
    let t1 = Instant::now();
    let err: Result<u32, E> =
        resilient_core::private::timeout(secs(30), &FIGURES, E::from, async {
            sleep(secs(1)).await;
            Err(E::Failed("boom"))
        })
        .await;
    assert_eq!(err, Err(E::Failed("boom")));
    assert_eq!(Instant::now() - t1, secs(1));
    assert_eq!(FIGURES.snapshot().timeouts, 0);
}

#[tokio::test(start_paused = true)]
async fn an_io_result_times_out_with_kind_timed_out() {
    let out: std::io::Result<()> = timeout(secs(1), std::future::pending()).await;
    let err = out.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    assert!(err.is_transient());
}

#[tokio::test(start_paused = true)]
async fn timeout_sets_no_attempt() {
    let seen = timeout(secs(1), async { Ok::<_, E>(attempt().is_none()) }).await;
    assert_eq!(seen, Ok(true));
}

#[tokio::test(start_paused = true)]
async fn observe_counts_calls_and_outcomes() {
    static FIGURES: Metrics = Metrics::new("observed_fn", "app::observed");
    assert!(metrics::get("app::observed::observed_fn").is_none());
    FIGURES.listed();

    assert_eq!(observe(&FIGURES, async { Ok::<_, E>(1) }).await, Ok(1));
    assert_eq!(observe(&FIGURES, async { Ok::<_, E>(2) }).await, Ok(2));
    assert_eq!(
        observe(&FIGURES, async { Err::<u32, _>(E::Failed("x")) }).await,
        Err(E::Failed("x"))
    );

    let s = FIGURES.snapshot();
    assert_eq!((s.calls, s.successes, s.failures), (3, 2, 1));
    // No retries: one attempt per call.
    assert_eq!((s.attempts, s.retries, s.timeouts), (3, 0, 0));
    assert_eq!(s.avg_attempts(), 1.0);
    assert_eq!(s.retry_rate(), 0.0);
    assert_eq!(s.success_rate(), 2.0 / 3.0);
    let found = |name| metrics::get(name).map(|m| m.snapshot());
    assert_eq!(found("app::observed::observed_fn"), Some(s.clone()));
    assert_eq!(found("observed_fn"), Some(s.clone()));
    assert!(metrics::all().iter().any(|m| m.snapshot() == s));
}

#[tokio::test(start_paused = true)]
async fn observe_counts_a_call_when_it_finishes() {
    static FIGURES: Metrics = Metrics::new("observed_in_flight", module_path!());
    let call = tokio::spawn(observe(&FIGURES, async {
        sleep(secs(10)).await;
        Ok::<_, E>(())
    }));
    sleep(secs(5)).await;
    let s = FIGURES.snapshot();
    assert_eq!((s.calls, s.successes, s.failures), (0, 0, 0));
    call.await.unwrap().unwrap();
    let s = FIGURES.snapshot();
    assert_eq!((s.calls, s.successes, s.failures), (1, 1, 0));
}

#[tokio::test(start_paused = true)]
async fn observe_around_timeout_counts_the_timeout_as_a_failure() {
    static FIGURES: Metrics = Metrics::new("observed_timeout", module_path!());
    let t0 = Instant::now();
    let out: Result<(), E> = observe(
        &FIGURES,
        resilient_core::private::timeout(secs(3), &FIGURES, E::from, async {
            sleep(secs(4)).await;
            Ok(())
        }),
    )
    .await;
    assert_eq!(out, Err(E::TimedOut(TimedOut::new(secs(3)))));
    assert_eq!(Instant::now() - t0, secs(3));

    let ok: Result<(), E> = observe(
        &FIGURES,
        resilient_core::private::timeout(secs(3), &FIGURES, E::from, async {
            sleep(secs(2)).await;
            Ok(())
        }),
    )
    .await;
    assert_eq!(ok, Ok(()));
    assert_eq!(Instant::now() - t0, secs(5));

    let s = FIGURES.snapshot();
    assert_eq!((s.calls, s.successes, s.failures, s.timeouts), (2, 1, 1, 1));
    assert_eq!(s.success_rate(), 0.5);
}
