//! Bounding a call in time, and counting a call's outcome.
//!
//! Both are plain future types rather than `async fn`s: nested `async fn`
//! wrappers each keep their own copy of the future they wrap (rustc does not
//! overlap an argument with the future it is awaiting), which makes the
//! stacked future several times larger and costs a copy per layer per call.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::time::Sleep;

use crate::metrics::Metrics;
use crate::TimedOut;

/// Runs `call`, or fails with `E::from(TimedOut)` once `limit` has passed.
/// `name` labels the `tracing` event; `metrics` counts the timeout.
///
/// The clock starts when `call` first waits: a call that completes without
/// waiting reads no clock and arms no timer, which keeps the success path
/// free. (A call's synchronous work before its first wait cannot be cut
/// short by any timeout anyway.)
///
/// ```
/// use std::time::Duration;
/// use resilient_core::timeout::timeout;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let slow = async {
///     tokio::time::sleep(Duration::from_secs(60)).await;
///     Ok::<_, std::io::Error>(())
/// };
/// let err = timeout(Duration::from_secs(30), "slow", None, slow).await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
/// # }
/// ```
pub fn timeout<T, E, F>(
    limit: Duration,
    name: &'static str,
    metrics: Option<&'static Metrics>,
    call: F,
) -> TimeLimit<F, E>
where
    F: Future<Output = Result<T, E>>,
    E: From<TimedOut>,
{
    TimeLimit::new(Some(limit), name, metrics, E::from, call)
}

pin_project_lite::pin_project! {
    /// The future of [`timeout`]: `call` under a time limit.
    #[must_use = "futures do nothing unless awaited"]
    pub struct TimeLimit<F, E> {
        #[pin]
        call: F,
        // Armed on the call's first wait.
        #[pin]
        sleep: Option<Sleep>,
        limit: Option<Duration>,
        name: &'static str,
        metrics: Option<&'static Metrics>,
        convert: fn(TimedOut) -> E,
    }
}

impl<F, E> TimeLimit<F, E> {
    /// `call` under `limit` (none: no limit), failing with `convert`.
    pub(crate) fn new(
        limit: Option<Duration>,
        name: &'static str,
        metrics: Option<&'static Metrics>,
        convert: fn(TimedOut) -> E,
        call: F,
    ) -> Self {
        TimeLimit {
            call,
            sleep: None,
            limit,
            name,
            metrics,
            convert,
        }
    }
}

impl<T, E, F: Future<Output = Result<T, E>>> Future for TimeLimit<F, E> {
    type Output = Result<T, E>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Poll::Ready(out) = this.call.poll(cx) {
            return Poll::Ready(out);
        }
        let Some(limit) = *this.limit else {
            return Poll::Pending;
        };
        if this.sleep.is_none() {
            this.sleep.set(Some(tokio::time::sleep(limit)));
        }
        let sleep = this.sleep.as_pin_mut().expect("armed above");
        ready!(sleep.poll(cx));
        timed_out(this.name, *this.metrics, limit);
        Poll::Ready(Err((this.convert)(TimedOut::new(limit))))
    }
}

/// Counts and reports a timeout; not generic, so compiled once.
#[cold]
fn timed_out(name: &'static str, metrics: Option<&'static Metrics>, limit: Duration) {
    if let Some(m) = metrics {
        m.timed_out();
    }
    tracing::debug!(target: "resilient", function = name, ?limit, "timed out");
}

/// Counts a call's outcome in `metrics` when it finishes: what a function
/// gets when no `#[retry]` does the counting.
///
/// ```
/// use resilient_core::{metrics::Metrics, timeout::observe};
///
/// static F: Metrics = Metrics::new("observed", module_path!());
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let _ = observe(&F, async { Err::<(), _>("boom") }).await;
/// assert_eq!(F.snapshot().failures, 1);
/// # }
/// ```
pub fn observe<T, E, F>(metrics: &'static Metrics, call: F) -> Observed<F>
where
    F: Future<Output = Result<T, E>>,
{
    metrics.call_started();
    Observed { metrics, call }
}

pin_project_lite::pin_project! {
    /// The future of [`observe`].
    #[must_use = "futures do nothing unless awaited"]
    pub struct Observed<F> {
        metrics: &'static Metrics,
        #[pin]
        call: F,
    }
}

impl<T, E, F: Future<Output = Result<T, E>>> Future for Observed<F> {
    type Output = Result<T, E>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let out = ready!(this.call.poll(cx));
        match out {
            Ok(_) => this.metrics.call_succeeded(),
            Err(_) => this.metrics.call_failed(),
        }
        Poll::Ready(out)
    }
}
