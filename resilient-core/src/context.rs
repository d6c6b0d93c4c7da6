//! One call's state, shared by its layers, and what its body can learn of
//! the attempt it is in.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::time::Instant;

use crate::metrics::Metrics;
use crate::Show;

/// A key that stays the same across every attempt, heal round and
/// fallback tier of one call.
///
/// Send it with each request (an `Idempotency-Key` header) so that the
/// service can recognise a retry of a request it already processed and not
/// act twice: the tutorial's "don't ignore idempotency". It is 128 random
/// bits, drawn when first asked for, shown as 32 hex digits.
///
/// ```
/// use resilient_core::IdempotencyKey;
///
/// let key = IdempotencyKey::from_u128(0xfeed);
/// assert_eq!(key.to_string(), "0000000000000000000000000000feed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(u128);

impl IdempotencyKey {
    /// A key with the given value.
    pub const fn from_u128(value: u128) -> Self {
        IdempotencyKey(value)
    }

    /// The key's value.
    pub const fn as_u128(&self) -> u128 {
        self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// Its first half is never 0, which marks a key not drawn yet.
fn draw() -> [u64; 2] {
    let [high, low] = crate::rng::key_bits();
    [high | 1, low]
}

/// A key of its own, for a request made outside any call.
#[cfg(feature = "reqwest")]
pub(crate) fn fresh_key() -> IdempotencyKey {
    key_of(draw())
}

fn key_of(halves: [u64; 2]) -> IdempotencyKey {
    IdempotencyKey(u128::from(halves[0]) << 64 | u128::from(halves[1]))
}

/// The attempt a call is in, as seen from inside its body.
///
/// Read it with [`attempt()`](crate::attempt()). It is set while the body of
/// an annotated function (or an operation run by
/// [`RetryPolicy::run`](crate::RetryPolicy::run)) is being polled, and only
/// then: a task the body spawns does not see it.
///
/// ```
/// use resilient_core::{attempt, RetryConfig};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let policy = RetryConfig::new().build().unwrap();
/// let (number, key) = policy
///     .run(|| async {
///         let a = attempt().unwrap();
///         Ok::<_, std::io::Error>((a.number(), a.idempotency_key()))
///     })
///     .await
///     .unwrap();
/// assert_eq!(number, 1);
/// assert_eq!(key, key); // read as often as you like: one key per call
/// assert!(attempt().is_none()); // outside any call
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    number: u32,
    key: IdempotencyKey,
}

impl Attempt {
    /// Which attempt this is, counting from 1 across the whole call (heal
    /// rounds continue the count).
    pub const fn number(&self) -> u32 {
        self.number
    }

    /// `true` on a retry, `false` on the first attempt.
    pub const fn is_retry(&self) -> bool {
        self.number > 1
    }

    /// The call's idempotency key: the same value on every read, every
    /// attempt, heal round and fallback tier of this call, different for
    /// every call.
    pub const fn idempotency_key(&self) -> IdempotencyKey {
        self.key
    }
}

/// A call's attempt, which the thread-local points at while it is polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    number: u32,
    /// Set while a fallback tier runs: the next call made takes this key.
    inherit: bool,
    /// Its first half is 0 until drawn.
    key: [u64; 2],
}

thread_local! {
    /// The slot of the attempt being polled on this thread, or null. Only
    /// a pointer, so that entering and leaving an attempt on every poll is
    /// one thread-local write each, whether or not the body reads it.
    static CURRENT: Cell<*mut Slot> = const { Cell::new(std::ptr::null_mut()) };
}

/// The attempt the current call is in, or `None` outside one.
///
/// ```
/// assert!(resilient_core::attempt().is_none());
/// ```
#[allow(unsafe_code)] // One pointer swap per poll: see `CURRENT`.
pub fn attempt() -> Option<Attempt> {
    let current = CURRENT.with(Cell::get);
    // SAFETY: a non-null pointer is the slot of an attempt whose poll is
    // running further up this thread's stack (`Scoped::poll` sets it and
    // restores the outer one before it returns, even on a panic), and
    // nothing else touches that slot until that poll returns.
    let slot = unsafe { current.as_mut() }?;
    if slot.key[0] == 0 {
        // Drawn on first read, into the call's own slot.
        slot.key = draw();
    }
    Some(Attempt {
        number: slot.number,
        key: key_of(slot.key),
    })
}

/// The state of one call, shared by its layers: its figures, the attempt
/// it is in (number and idempotency key), and its deadline.
///
/// The expansions make one per call, outside every loop, so a heal round
/// or a fallback tier continues the count and keeps the key.
#[derive(Debug)]
pub struct Call<'m> {
    metrics: &'m Metrics,
    slot: Slot,
    deadline: Option<Instant>,
    /// Whether an attempt has run: the next one is one further on.
    ran: bool,
    /// Whether the result returned is one `retry_on` refused: the call
    /// counts as failed.
    refused: bool,
    /// When the call started, on the breaker's clock, if calls are timed
    /// (0 otherwise).
    started: u64,
    /// When the running fallback tier started, likewise.
    lap: u64,
    /// The call's span (feature `metrics`), entered while an attempt runs.
    #[cfg(feature = "metrics")]
    span: tracing::Span,
}

impl<'m> Call<'m> {
    /// A call counted in `metrics`. Run inside a fallback tier's scope, it
    /// continues that call's idempotency key (taken when its first attempt
    /// is polled).
    #[inline]
    pub fn new(metrics: &'m Metrics) -> Self {
        let started = if crate::latency::timing() {
            crate::circuit_breaker::clock::now()
        } else {
            0
        };
        Call {
            metrics,
            slot: Slot {
                number: 1,
                inherit: false,
                key: [0, 0],
            },
            deadline: None,
            ran: false,
            refused: false,
            started,
            lap: started,
            #[cfg(feature = "metrics")]
            span: tracing::info_span!(
                target: "resilient",
                "call",
                function = metrics.name(),
                attempt = tracing::field::Empty,
                key = tracing::field::Empty,
            ),
        }
    }

    /// The figures this call counts into.
    pub fn metrics(&self) -> &'m Metrics {
        self.metrics
    }

    /// The number of the attempt running, or of the next one before any
    /// ran: from 1, counted across heal rounds and retries alike.
    pub fn number(&self) -> u32 {
        self.slot.number
    }

    /// The deadline of the whole call, if a layer set one.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Sets the call's deadline `budget` from now, unless one is set
    /// already (a heal round starts its retries again, not its budget). A
    /// budget too long to represent is no deadline.
    #[inline]
    pub(crate) fn start_budget(&mut self, budget: Option<std::time::Duration>) {
        if let (None, Some(b)) = (self.deadline, budget) {
            self.deadline = Instant::now().checked_add(b);
        }
    }

    /// Runs `attempt`, the call's next, with this call's attempt current.
    #[inline]
    pub fn scope<F: Future>(&mut self, attempt: F) -> Scoped<'_, F> {
        if self.ran {
            self.slot.number = self.slot.number.saturating_add(1);
        }
        self.ran = true;
        #[cfg(feature = "metrics")]
        self.span.record("attempt", self.slot.number);
        Scoped {
            slot: &mut self.slot,
            #[cfg(feature = "metrics")]
            span: &self.span,
            #[cfg(not(feature = "metrics"))]
            span: std::marker::PhantomData,
            inner: attempt,
        }
    }

    /// Runs the call's only attempt (a function with no retry, heal or
    /// fallback) in the call's span.
    #[cfg(feature = "metrics")]
    #[inline]
    pub fn once<F>(&mut self, attempt: F) -> tracing::instrument::Instrumented<F> {
        use tracing::Instrument;
        self.span.record("attempt", 1);
        attempt.instrument(self.span.clone())
    }

    /// Runs a fallback tier: the first call it makes continues this call's
    /// idempotency key.
    pub fn tier<F: Future>(&mut self, tier: F) -> Scoped<'_, F> {
        if self.slot.key[0] == 0 {
            self.slot.key = draw();
        }
        self.slot.inherit = true;
        self.scope(tier)
    }

    /// Marks the result about to be returned as one the retries refused.
    pub(crate) fn refuse(&mut self) {
        self.refused = true;
    }

    /// How long the running fallback tier has taken (0 when calls are
    /// not timed), and the next tier's start.
    #[inline]
    pub fn lap(&mut self) -> u64 {
        if self.started == 0 {
            return 0;
        }
        let now = crate::circuit_breaker::clock::now();
        let took = now.saturating_sub(self.lap);
        self.lap = now;
        took.max(1)
    }

    /// Counts the call's outcome (and its duration, when calls are timed).
    #[inline(always)]
    pub fn finish<T, E>(self, out: &Result<T, E>) {
        match out {
            Ok(_) if !self.refused => self.metrics.succeeded(),
            _ => self.metrics.failed(),
        }
        if self.started != 0 {
            let now = crate::circuit_breaker::clock::now();
            self.metrics.took(now.saturating_sub(self.started));
        }
    }

    /// [`finish`](Self::finish), keeping the error a failed call ended
    /// with as its function's last error.
    #[inline(always)]
    pub fn finish_showing<T, E>(self, out: &Result<T, E>, show: Show<E>) {
        if let Err(e) = out {
            self.metrics.ended_with(show(e));
        }
        self.finish(out);
    }
}

/// The call's span while an attempt runs (feature `metrics`); nothing
/// otherwise.
#[cfg(feature = "metrics")]
type SpanRef<'a> = &'a tracing::Span;
#[cfg(not(feature = "metrics"))]
type SpanRef<'a> = std::marker::PhantomData<&'a ()>;

pin_project_lite::pin_project! {
    /// A future that makes a call's attempt current while it is polled.
    #[must_use = "futures do nothing unless awaited"]
    pub struct Scoped<'a, F> {
        slot: &'a mut Slot,
        span: SpanRef<'a>,
        #[pin]
        inner: F,
    }
}

impl<F> Scoped<'_, F> {
    /// The number of the attempt this runs.
    pub fn number(&self) -> u32 {
        self.slot.number
    }
}

impl<F: Future> Future for Scoped<'_, F> {
    type Output = F::Output;

    #[inline]
    #[allow(unsafe_code)] // One pointer swap per poll: see `CURRENT`.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        // Restores the outer attempt even if the body panics.
        struct Restore<'b> {
            outer: *mut Slot,
            #[cfg(feature = "metrics")]
            slot: *mut Slot,
            span: SpanRef<'b>,
            /// The key when the poll began: a new one goes in the span.
            #[cfg(feature = "metrics")]
            before: [u64; 2],
        }
        impl Drop for Restore<'_> {
            #[inline]
            fn drop(&mut self) {
                CURRENT.with(|c| c.set(self.outer));
                #[cfg(feature = "metrics")]
                {
                    // SAFETY: the slot outlives this poll, and the body's
                    // reads of it ended when its poll returned.
                    let key = unsafe { (*self.slot).key };
                    if key != self.before {
                        self.span
                            .record("key", tracing::field::display(key_of(key)));
                    }
                }
            }
        }
        // Every access to the slot during this poll goes through this one
        // pointer, the body's through `attempt()` included.
        let slot: *mut Slot = std::ptr::from_mut(*this.slot);
        // SAFETY: `slot` is this attempt's, borrowed for this poll.
        #[cfg(feature = "metrics")]
        let before = unsafe { (*slot).key };
        let outer = CURRENT.with(|c| c.replace(slot));
        // SAFETY: `slot` is this attempt's, borrowed for this poll; `outer`
        // is null or the slot of an attempt whose poll encloses this one.
        unsafe {
            if let Some(o) = outer.as_ref() {
                if o.inherit && (*slot).key[0] == 0 {
                    // The first attempt of a call a fallback tier makes: it
                    // goes on with the outer call's key.
                    (*slot).key = o.key;
                }
            }
        }
        let span = *this.span;
        let _restore = Restore {
            outer,
            #[cfg(feature = "metrics")]
            slot,
            span,
            #[cfg(feature = "metrics")]
            before,
        };
        #[cfg(feature = "metrics")]
        let _entered = this.span.enter();
        this.inner.poll(cx)
    }
}

#[cfg(test)]
mod tests {
    //! The attempt context's pointer, under Miri too:
    //! `cargo +nightly miri test -p resilient-core --lib context`.
    use super::*;
    use std::task::Waker;

    static METRICS: Metrics = Metrics::new("context", "tests");

    /// Polls a future that is ready at once.
    fn ready<F: Future>(f: F) -> F::Output {
        match std::pin::pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(out) => out,
            Poll::Pending => panic!("ready at once"),
        }
    }

    #[test]
    fn nested_attempts_see_their_own_and_restore_the_outer() {
        let mut outer = Call::new(&METRICS);
        let (first, nested, again) = ready(outer.scope(async {
            let first = attempt().unwrap();
            let mut inner = Call::new(&METRICS);
            ready(inner.scope(async {}));
            let nested = ready(inner.scope(async { attempt().unwrap() }));
            (first, nested, attempt().unwrap())
        }));
        assert_eq!((first.number(), nested.number()), (1, 2));
        assert_ne!(first.idempotency_key(), nested.idempotency_key());
        assert_eq!(again, first);
        assert!(attempt().is_none());
        // The key drawn inside stays with the call for its next attempt.
        let next = ready(outer.scope(async { attempt().unwrap() }));
        assert_eq!(
            (next.number(), next.idempotency_key()),
            (2, first.idempotency_key())
        );
    }

    #[test]
    fn a_tier_passes_its_key_to_the_first_call_it_makes() {
        let mut call = Call::new(&METRICS);
        let (tier, inner) = ready(call.tier(async {
            let tier = attempt().unwrap().idempotency_key();
            let mut made = Call::new(&METRICS);
            (tier, ready(made.scope(async { attempt().unwrap() })))
        }));
        assert_eq!(inner.idempotency_key(), tier);
    }

    #[test]
    fn a_panicking_body_leaves_no_attempt_current() {
        let mut call = Call::new(&METRICS);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            ready(call.scope(async {
                let _ = attempt();
                panic!("deliberate")
            }))
        }));
        assert!(caught.is_err());
        assert!(attempt().is_none());
    }
}
