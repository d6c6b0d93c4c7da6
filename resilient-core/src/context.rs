//! What the body of a retried call can learn about the attempt it is in.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A key that stays the same across every attempt of one call.
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

    /// Never 0, which marks a key not drawn yet.
    fn random() -> Self {
        IdempotencyKey(rand::random::<u128>().max(1))
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// The attempt a retried call is in, as seen from inside its body.
///
/// Read it with [`attempt()`](crate::attempt()). It is set while the body of a
/// `#[retry]` function (or an operation run by
/// [`RetryPolicy::run`](crate::RetryPolicy::run)) is being polled, and only
/// then: a task the body spawns does not see it.
///
/// ```
/// use resilient_core::{attempt, RetryConfig};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let policy = RetryConfig::new().build().unwrap();
/// let number = policy
///     .run(|| async { Ok::<_, std::io::Error>(attempt().unwrap().number()) })
///     .await
///     .unwrap();
/// assert_eq!(number, 1);
/// assert!(attempt().is_none()); // outside any retried call
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// 0 only in `CURRENT`, outside any attempt.
    number: u32,
    /// The key's two halves, `[0, 0]` until drawn: a small, 8-aligned copy
    /// into and out of `CURRENT` on every poll.
    key: [u64; 2],
}

const NONE: Attempt = Attempt {
    number: 0,
    key: [0, 0],
};

impl Attempt {
    pub(crate) const fn first() -> Self {
        Attempt {
            number: 1,
            key: [0, 0],
        }
    }

    pub(crate) fn next(&mut self) {
        self.number += 1;
    }

    /// Which attempt this is, counting from 1.
    pub const fn number(&self) -> u32 {
        self.number
    }

    /// `true` on a retry, `false` on the first attempt.
    pub const fn is_retry(&self) -> bool {
        self.number > 1
    }

    /// The call's idempotency key: the same value on every attempt of this
    /// call, different for every call.
    pub fn idempotency_key(&self) -> IdempotencyKey {
        // The key is drawn lazily, so calls that never ask pay nothing. The
        // draw is written back through `CURRENT` when the poll ends.
        if self.key != [0, 0] {
            return IdempotencyKey((self.key[0] as u128) << 64 | self.key[1] as u128);
        }
        let key = IdempotencyKey::random();
        CURRENT.with(|c| {
            let mut a = c.get();
            if a.number != 0 {
                a.key = [(key.0 >> 64) as u64, key.0 as u64];
                c.set(a);
            }
        });
        key
    }
}

thread_local! {
    static CURRENT: Cell<Attempt> = const { Cell::new(NONE) };
}

/// The attempt the current retried call is in, or `None` outside one.
///
/// ```
/// assert!(resilient_core::attempt().is_none());
/// ```
pub fn attempt() -> Option<Attempt> {
    let a = CURRENT.with(|c| c.get());
    (a.number != 0).then_some(a)
}

pin_project_lite::pin_project! {
    /// A future that makes `attempt` current while it is polled.
    #[doc(hidden)]
    pub struct Scoped<'a, F> {
        attempt: &'a mut Attempt,
        #[pin]
        inner: F,
    }
}

impl<'a, F> Scoped<'a, F> {
    pub(crate) fn new(attempt: &'a mut Attempt, inner: F) -> Self {
        Scoped { attempt, inner }
    }
}

impl<F: Future> Future for Scoped<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        // Restores the outer call's attempt even if the body panics, and
        // keeps an idempotency key drawn during this poll.
        struct Restore<'b> {
            attempt: &'b mut Attempt,
            outer: Attempt,
        }
        impl Drop for Restore<'_> {
            #[inline]
            fn drop(&mut self) {
                let seen = CURRENT.with(|c| c.replace(self.outer));
                self.attempt.key = seen.key;
            }
        }
        let outer = CURRENT.with(|c| c.replace(**this.attempt));
        let _restore = Restore {
            attempt: this.attempt,
            outer,
        };
        this.inner.poll(cx)
    }
}
