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

/// What the thread-local holds while a call's attempt is polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    /// 0 outside any attempt.
    number: u32,
    /// Set while a fallback tier runs: the next call made takes this key.
    inherit: bool,
    /// Its first half is 0 until drawn: two halves, so that the slot stays
    /// small and 8-aligned for its copy in and out on every poll.
    key: [u64; 2],
}

const NONE: Slot = Slot {
    number: 0,
    inherit: false,
    key: [0, 0],
};

thread_local! {
    static CURRENT: Cell<Slot> = const { Cell::new(NONE) };
}

/// The attempt the current call is in, or `None` outside one.
///
/// ```
/// assert!(resilient_core::attempt().is_none());
/// ```
pub fn attempt() -> Option<Attempt> {
    CURRENT.with(|c| {
        let mut slot = c.get();
        if slot.number == 0 {
            return None;
        }
        if slot.key[0] == 0 {
            // Drawn on first read; the scope writes it back to the call.
            slot.key = draw();
            c.set(slot);
        }
        Some(Attempt {
            number: slot.number,
            key: key_of(slot.key),
        })
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
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        // Restores the outer attempt even if the body panics, and keeps a
        // key drawn during this poll.
        struct Restore<'b> {
            slot: &'b mut Slot,
            outer: Slot,
            #[cfg(feature = "metrics")]
            span: &'b tracing::Span,
            /// The key when the poll began: a new one goes in the span.
            #[cfg(feature = "metrics")]
            before: [u64; 2],
        }
        impl Drop for Restore<'_> {
            #[inline]
            fn drop(&mut self) {
                let seen = CURRENT.with(|c| c.replace(self.outer));
                #[cfg(feature = "metrics")]
                if seen.key != self.before {
                    self.span
                        .record("key", tracing::field::display(key_of(seen.key)));
                }
                self.slot.key = seen.key;
            }
        }
        #[cfg(feature = "metrics")]
        let before = this.slot.key;
        let outer = CURRENT.with(|c| c.replace(**this.slot));
        if outer.inherit && this.slot.key[0] == 0 {
            // The first attempt of a call a fallback tier makes: it goes on
            // with the outer call's key.
            this.slot.key = outer.key;
            CURRENT.with(|c| c.set(**this.slot));
        }
        let _restore = Restore {
            slot: this.slot,
            outer,
            #[cfg(feature = "metrics")]
            span: this.span,
            #[cfg(feature = "metrics")]
            before,
        };
        #[cfg(feature = "metrics")]
        let _entered = this.span.enter();
        this.inner.poll(cx)
    }
}
