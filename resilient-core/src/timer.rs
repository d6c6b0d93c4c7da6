//! The timer the engines wait with: Tokio's by default (so tests on a
//! paused clock stay exact), or another executor's, installed once with
//! [`set_sleeper`].
//!
//! Only waits need a timer: retry delays, time limits and heal rounds. A
//! function that retries or heals, run outside a Tokio runtime with no
//! sleeper installed, panics at its first call, saying so, rather than at
//! its first retry, when the service is already failing; a time limit
//! checks when its call first waits (a call that answers at once needs no
//! timer).
//!
//! ```
//! use std::future::Future;
//! use std::pin::Pin;
//! use std::time::Duration;
//! use resilient_core::timer::{self, Sleeper};
//!
//! /// A timer for an executor other than Tokio (here a thread per wait,
//! /// for the example; use your executor's own timer).
//! struct ThreadSleeper;
//!
//! impl Sleeper for ThreadSleeper {
//!     fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
//!         let (tx, rx) = std::sync::mpsc::channel::<()>();
//!         std::thread::spawn(move || {
//!             std::thread::sleep(duration);
//!             let _ = tx.send(());
//!         });
//!         Box::pin(std::future::poll_fn(move |cx| match rx.try_recv() {
//!             Err(std::sync::mpsc::TryRecvError::Empty) => {
//!                 cx.waker().wake_by_ref(); // a real timer would register the waker
//!                 std::task::Poll::Pending
//!             }
//!             _ => std::task::Poll::Ready(()),
//!         }))
//!     }
//! }
//!
//! timer::set_sleeper(ThreadSleeper).unwrap();
//! assert!(timer::set_sleeper(ThreadSleeper).is_err()); // once per process
//! ```

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

/// Makes the futures that wait: implement it with your executor's timer.
pub trait Sleeper: Send + Sync + 'static {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

static SLEEPER: OnceLock<Box<dyn Sleeper>> = OnceLock::new();

/// [`set_sleeper`] was called before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlreadySet;

impl fmt::Display for AlreadySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sleeper is installed already")
    }
}

impl std::error::Error for AlreadySet {}

/// Makes `sleeper` the timer of every wait, in place of Tokio's. Once per
/// process, before the first call.
///
/// # Errors
/// [`AlreadySet`] when a sleeper is installed already.
pub fn set_sleeper(sleeper: impl Sleeper) -> Result<(), AlreadySet> {
    SLEEPER.set(Box::new(sleeper)).map_err(|_| AlreadySet)
}

thread_local! {
    /// Whether this thread was seen able to wait.
    static CAN_WAIT: Cell<bool> = const { Cell::new(false) };
}

/// Panics, saying why and what to do, when `function` would need a timer
/// and none is there. Checked once per thread.
#[inline]
pub(crate) fn check(function: &str) {
    if !CAN_WAIT.with(Cell::get) {
        check_now(function);
    }
}

#[cold]
fn check_now(function: &str) {
    if SLEEPER.get().is_none() && tokio::runtime::Handle::try_current().is_err() {
        no_timer(function);
    }
    CAN_WAIT.with(|c| c.set(true));
}

#[cold]
#[track_caller]
fn no_timer(function: &str) -> ! {
    panic!(
        "`{function}` waits (retry delays, time limits or heal rounds) but runs outside a Tokio runtime: \
         run it in one (`#[tokio::main]`, with timers enabled), or install your executor's timer with \
         `resilient_async::timer::set_sleeper`"
    )
}

pin_project_lite::pin_project! {
    /// A wait: Tokio's `Sleep`, or the installed sleeper's future.
    #[must_use = "futures do nothing unless awaited"]
    pub struct Sleep {
        #[pin]
        inner: Inner,
    }
}

pin_project_lite::pin_project! {
    #[project = InnerProj]
    enum Inner {
        Tokio { #[pin] sleep: tokio::time::Sleep },
        Other { sleep: Pin<Box<dyn Future<Output = ()> + Send>> },
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sleep")
    }
}

/// Waits `duration` with the installed sleeper, or Tokio's timer.
///
/// ```
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let start = tokio::time::Instant::now();
/// resilient_core::timer::sleep(Duration::from_secs(3)).await;
/// assert_eq!(start.elapsed(), Duration::from_secs(3));
/// # }
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    let inner = match SLEEPER.get() {
        Some(s) => Inner::Other {
            sleep: s.sleep(duration),
        },
        None => {
            check("timer::sleep");
            Inner::Tokio {
                sleep: tokio::time::sleep(duration),
            }
        }
    };
    Sleep { inner }
}

/// Waits until `deadline`.
pub(crate) fn sleep_until(deadline: Instant) -> Sleep {
    match SLEEPER.get() {
        Some(_) => sleep(deadline.saturating_duration_since(Instant::now())),
        None => {
            check("timer::sleep");
            Sleep {
                inner: Inner::Tokio {
                    sleep: tokio::time::sleep_until(deadline),
                },
            }
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.project().inner.project() {
            InnerProj::Tokio { sleep } => sleep.poll(cx),
            InnerProj::Other { sleep } => sleep.as_mut().poll(cx),
        }
    }
}

/// `future`, or `None` if `deadline` passes first.
pub(crate) async fn timeout_at<F: Future>(deadline: Instant, future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut late = std::pin::pin!(sleep_until(deadline));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        late.as_mut().poll(cx).map(|()| None)
    })
    .await
}
