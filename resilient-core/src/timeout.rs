//! Bounding a call in time.
//!
//! A plain future type rather than an `async fn`: nested `async fn`
//! wrappers each keep their own copy of the future they wrap (rustc does not
//! overlap an argument with the future it is awaiting), which makes the
//! stacked future several times larger and costs a copy per layer per call.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use crate::timer::{self, Sleep};

use crate::metrics::Metrics;
use crate::TimedOut;

/// Runs `call`, or fails with `E::from(TimedOut)` once `limit` has passed.
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
/// let err = timeout(Duration::from_secs(30), slow).await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
/// # }
/// ```
pub fn timeout<T, E, F>(limit: Duration, call: F) -> TimeLimit<'static, F, E>
where
    F: Future<Output = Result<T, E>>,
    E: From<TimedOut>,
{
    TimeLimit::new(Some(limit), &UNNAMED, E::from, call)
}

/// The figures of calls bounded by [`timeout`]: not listed.
static UNNAMED: Metrics = Metrics::new("timeout", "");

pin_project_lite::pin_project! {
    /// The future of [`timeout`]: `call` under a time limit.
    #[must_use = "futures do nothing unless awaited"]
    pub struct TimeLimit<'m, F, E> {
        #[pin]
        call: F,
        // Armed on the call's first wait.
        #[pin]
        sleep: Option<Sleep>,
        limit: Option<Duration>,
        metrics: &'m Metrics,
        convert: fn(TimedOut) -> E,
    }
}

impl<'m, F, E> TimeLimit<'m, F, E> {
    /// `call` under `limit` (none: no limit), counted in `metrics`, failing
    /// with `convert`.
    pub(crate) fn new(
        limit: Option<Duration>,
        metrics: &'m Metrics,
        convert: fn(TimedOut) -> E,
        call: F,
    ) -> Self {
        TimeLimit {
            call,
            sleep: None,
            limit,
            metrics,
            convert,
        }
    }
}

impl<T, E, F: Future<Output = Result<T, E>>> Future for TimeLimit<'_, F, E> {
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
            // The first wait: a call that never waits needs no timer.
            timer::check(this.metrics.name());
            // A limit too far off to represent never fires.
            match tokio::time::Instant::now().checked_add(limit) {
                Some(at) => this.sleep.set(Some(timer::sleep_until(at))),
                None => {
                    *this.limit = None;
                    return Poll::Pending;
                }
            }
        }
        let sleep = this.sleep.as_pin_mut().expect("armed above");
        ready!(sleep.poll(cx));
        timed_out(this.metrics, limit);
        Poll::Ready(Err((this.convert)(TimedOut::new(limit))))
    }
}

/// Counts and reports a timeout; not generic, so compiled once.
#[cold]
fn timed_out(metrics: &Metrics, limit: Duration) {
    metrics.timed_out();
    tracing::debug!(target: "resilient", function = metrics.name(), ?limit, "timed out");
}
