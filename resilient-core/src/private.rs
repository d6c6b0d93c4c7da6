//! What the expansions of `resilient`'s attributes call. Not a public API:
//! it may change in any release, which is why the crates pin each other's
//! exact versions.

pub use core::time::Duration;
pub use tokio::time::sleep;

pub use crate::metrics::Metrics;
pub use crate::retry::{Jitter, RetryConfig, RetryPolicy, Retrying, Schedule, Step};
pub use crate::timeout::{observe, timeout};
pub use crate::{ByTransient, RetryIf, Transient};

/// Gives each attempt its own copy of an owned argument.
#[diagnostic::on_unimplemented(
    message = "`#[retry]` needs a fresh `{Self}` for every attempt, but `{Self}` is not `Clone`",
    label = "owned argument of type `{Self}`",
    note = "take this argument by reference (`&{Self}`), or implement `Clone` for `{Self}`"
)]
pub trait AttemptArg {
    /// A copy for the next attempt.
    fn fresh(&self) -> Self;
}

impl<T: Clone> AttemptArg for T {
    #[inline]
    fn fresh(&self) -> T {
        self.clone()
    }
}

/// The types a `#[retry_after]` field may have.
#[diagnostic::on_unimplemented(
    message = "a `#[retry_after]` field must be a `Duration` or an `Option<Duration>`, not `{Self}`"
)]
pub trait RetryAfterField {
    /// The hint the field holds.
    fn retry_after_value(&self) -> Option<Duration>;
}

impl RetryAfterField for Duration {
    fn retry_after_value(&self) -> Option<Duration> {
        Some(*self)
    }
}

impl RetryAfterField for Option<Duration> {
    fn retry_after_value(&self) -> Option<Duration> {
        *self
    }
}
