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
    TimeLimit::new(Some(limit), &UNNAMED, E::from, None, call)
}

/// The figures of calls bounded by [`timeout`]: not listed.
static UNNAMED: Metrics = Metrics::new("timeout", "");

/// Where a [`TimeLimit`] keeps its timer: in its own future
/// (`Option<Sleep>`, what [`timeout`] makes), or in a slot the caller
/// declares beside it and lends it (`Pin<&mut Option<Sleep>>`), which keeps
/// the 96-byte timer out of a future that is built, and moved, on every
/// attempt.
///
/// ```
/// use std::pin::pin;
/// use resilient_core::timeout::TimerSlot;
/// use resilient_core::timer::Sleep;
///
/// fn is_armed(slot: std::pin::Pin<&mut impl TimerSlot>) -> bool {
///     slot.timer().is_some()
/// }
/// let mut own: Option<Sleep> = None;
/// assert!(!is_armed(pin!(own)));
/// ```
pub trait TimerSlot {
    /// The timer: `None` until the call first waits.
    fn timer(self: Pin<&mut Self>) -> Pin<&mut Option<Sleep>>;
}

impl TimerSlot for Option<Sleep> {
    #[inline]
    fn timer(self: Pin<&mut Self>) -> Pin<&mut Option<Sleep>> {
        self
    }
}

impl TimerSlot for Pin<&mut Option<Sleep>> {
    #[inline]
    fn timer(self: Pin<&mut Self>) -> Pin<&mut Option<Sleep>> {
        self.get_mut().as_mut()
    }
}

pin_project_lite::pin_project! {
    /// The future of [`timeout`]: `call` under a time limit.
    #[must_use = "futures do nothing unless awaited"]
    pub struct TimeLimit<'m, F, E, S = Option<Sleep>> {
        #[pin]
        call: F,
        // Armed on the call's first wait.
        #[pin]
        sleep: S,
        limit: Option<Duration>,
        metrics: &'m Metrics,
        convert: fn(TimedOut) -> E,
    }
}

impl<'m, F, E, S> TimeLimit<'m, F, E, S> {
    /// `call` under `limit` (none: no limit), counted in `metrics`, failing
    /// with `convert`, its timer kept in `sleep` (empty).
    pub(crate) fn new(
        limit: Option<Duration>,
        metrics: &'m Metrics,
        convert: fn(TimedOut) -> E,
        sleep: S,
        call: F,
    ) -> Self {
        TimeLimit {
            call,
            sleep,
            limit,
            metrics,
            convert,
        }
    }
}

impl<T, E, F: Future<Output = Result<T, E>>, S: TimerSlot> Future for TimeLimit<'_, F, E, S> {
    type Output = Result<T, E>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut sleep = this.sleep.timer();
        if let Poll::Ready(out) = this.call.poll(cx) {
            // A lent slot is left empty for the next attempt.
            if sleep.is_some() {
                sleep.set(None);
            }
            return Poll::Ready(out);
        }
        let Some(limit) = *this.limit else {
            return Poll::Pending;
        };
        if sleep.is_none() {
            // The first wait: a call that never waits needs no timer.
            timer::check(this.metrics.name());
            // A limit too far off to represent never fires.
            match tokio::time::Instant::now().checked_add(limit) {
                Some(at) => sleep.set(Some(timer::sleep_until(at))),
                None => {
                    *this.limit = None;
                    return Poll::Pending;
                }
            }
        }
        ready!(sleep.as_mut().as_pin_mut().expect("armed above").poll(cx));
        sleep.set(None);
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
