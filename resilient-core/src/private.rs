//! What the expansions of `resilient-async`'s attributes call. Not a
//! public API: it may change in any release, which is why the crates pin
//! each other's exact versions.
//!
//! The expansions only loop and await; every decision is made by the
//! engines here, told an outcome and answering a [`Step`].

pub use crate::timer::{sleep, Sleep};
pub use core::time::Duration;
pub use inventory;
pub use resilient_spec as spec;
pub use resilient_spec::Value;

pub use crate::circuit_breaker::{
    BreakerCall, BreakerConfig, BreakerPolicy, CircuitBreaker, KeyedBreakers, SharedBreaker, Window,
};
pub use crate::context::{Call, Scoped};
pub use crate::fallback::{Tier as FallbackTier, Tiers};
pub use crate::heal::{Heal, HealConfig, HealPolicy, Healer, Healing};
pub use crate::metrics::Metrics;
pub use crate::policy::retry_policy;
pub use crate::registry::{Entry, Item};
pub use crate::retry::{Jitter, RetryConfig, RetryPolicy, Retrying, Schedule};
pub use crate::step::{Show, Step};
pub use crate::timeout::TimeLimit;
pub use crate::{
    AcceptAll, ByTransient, CircuitOpen, ClassifyResult, ResultVerdict, RetryIf, RetryOn, TimedOut,
    Transient, WithHints,
};

use std::fmt::Display;
use std::future::{Future, IntoFuture};
use std::hash::Hash;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use crate::circuit_breaker::{Head, KeyedBreaker};
use crate::{Classify, Verdict};

/// The error types the layers can log: those with `Display`. It exists for
/// its message.
#[diagnostic::on_unimplemented(
    message = "`#[retry]`, `#[self_heal]` and `#[fallback]` log each failure, but `{Self}` does not implement `std::fmt::Display`",
    label = "this error type needs `Display`",
    note = "implement `std::fmt::Display` for `{Self}` (thiserror's `#[error(\"...\")]` does it)"
)]
pub trait Loggable: Display {}

impl<E: Display + ?Sized> Loggable for E {}

/// How the engines display `E`: checked here once per function, at the
/// user's error type, so that a missing `Display` is one error.
#[inline]
pub fn show<E: Loggable>() -> Show<E> {
    |e| e
}

/// The only attempt of a call (a function with no retry, heal or
/// fallback): the future as it is, not even moved (a function returning it
/// costs a copy of the future), or in the call's span with the `metrics`
/// feature.
#[cfg(not(feature = "metrics"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __resilient_once {
    ($call:expr, $attempt:expr) => {
        $attempt
    };
}

/// The only attempt of a call, in the call's span (feature `metrics`).
#[cfg(feature = "metrics")]
#[doc(hidden)]
#[macro_export]
macro_rules! __resilient_once {
    ($call:expr, $attempt:expr) => {
        $call.once($attempt)
    };
}

pub use crate::__resilient_once as once;

/// [`Retrying::after`], called with the outcome placed at the user's error
/// type, where an unmet bound of the classification is reported.
#[inline]
pub fn after<T, E, C: Classify<E> + ?Sized>(
    retry: &mut Retrying<'_>,
    call: &mut Call<'_>,
    out: Result<T, E>,
    classify: &C,
    show: Show<E>,
) -> Step<T, E> {
    retry.after(call, out, classify, show)
}

/// [`Retrying::after_checked`], placed at the user's error type as
/// [`after`] is.
#[inline]
pub fn after_checked<T, E, C: Classify<E> + ?Sized, R: ClassifyResult<T> + ?Sized>(
    retry: &mut Retrying<'_>,
    call: &mut Call<'_>,
    out: Result<T, E>,
    classify: &C,
    check: &R,
    show: Show<E>,
) -> Step<T, E> {
    retry.after_checked(call, out, classify, check, show)
}

/// `retry_on = path` for a function returning `Result<T, E>`: `check`
/// calls the path, whose signature is checked there, against `T`.
#[inline]
pub fn result_check<T, E>(
    _output: PhantomData<fn() -> Result<T, E>>,
    check: fn(&T) -> Verdict,
) -> RetryOn<fn(&T) -> Verdict> {
    RetryOn(check)
}

/// `retry_if = path`, before it is known whether `E` has hints to keep.
pub struct Predicate<E: ?Sized>(fn(&E) -> bool);

/// `retry_if = path` for a function returning `Result<T, E>`: `E` is fixed
/// by the function's output, so that a generic predicate resolves, and a
/// mismatch is reported at the path.
#[inline]
pub fn predicate_for<T, E>(
    _output: PhantomData<fn() -> Result<T, E>>,
    predicate: fn(&E) -> bool,
) -> Predicate<E> {
    Predicate(predicate)
}

/// What `retry_if` runs with when `E: Transient`.
pub type Hinted<E> = WithHints<RetryIf<fn(&E) -> bool>>;

/// Chosen by method resolution when `E: Transient`: the predicate decides,
/// and the error's `retry_after` still sets the least wait.
pub trait KeepHints<E: ?Sized> {
    /// The classification `retry_if` runs with.
    fn classifier(&self) -> Hinted<E>;
}

impl<E: Transient + ?Sized> KeepHints<E> for &Predicate<E> {
    #[inline]
    fn classifier(&self) -> Hinted<E> {
        WithHints(RetryIf(self.0))
    }
}

/// Chosen otherwise: the predicate alone (an error without `Transient`
/// has no hints).
pub trait NoHints<E: ?Sized> {
    /// The classification `retry_if` runs with.
    fn classifier(&self) -> RetryIf<fn(&E) -> bool>;
}

impl<E: ?Sized> NoHints<E> for Predicate<E> {
    #[inline]
    fn classifier(&self) -> RetryIf<fn(&E) -> bool> {
        RetryIf(self.0)
    }
}

/// A `fn(&E) -> bool` given by path (`retry_if`, `record_if`, `when`): a
/// mismatch is reported here, at the path.
#[inline]
pub fn predicate<E>(predicate: fn(&E) -> bool) -> fn(&E) -> bool {
    predicate
}

/// The error types that can report a timeout: those with `From<TimedOut>`.
/// It exists for its message.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot report a timeout: it does not implement `From<resilient_async::TimedOut>`",
    label = "this error type needs `From<resilient_async::TimedOut>`",
    note = "`#[timeout]`, and `#[retry]` with `timeout` or `deadline`, fail a late call with `Err({Self}::from(TimedOut))`",
    note = "if `{Self}` is your type, add a variant holding a `resilient_async::TimedOut` and implement `From<resilient_async::TimedOut> for {Self}`",
    note = "if it comes from another crate, return an error that can hold both: an enum of yours, `Box<dyn Error + Send + Sync>`, \
            `anyhow::Error`, or for `reqwest::Error` the ready `resilient_async::http::Error` (feature `reqwest`)"
)]
pub trait CanTimeOut: From<TimedOut> {}

impl<E: From<TimedOut>> CanTimeOut for E {}

/// How a late call fails: `E::from(TimedOut)`. The bound is checked here
/// alone, at the user's error type.
#[inline]
pub fn timed_out<E: CanTimeOut>() -> fn(TimedOut) -> E {
    E::from
}

/// `#[timeout]`: the call under `limit`, counted in `metrics`.
#[inline]
pub fn timeout<'m, T, E, F: Future<Output = Result<T, E>>>(
    limit: Duration,
    metrics: &'m Metrics,
    convert: fn(TimedOut) -> E,
    call: F,
) -> TimeLimit<'m, F, E> {
    TimeLimit::new(Some(limit), metrics, convert, None, call)
}

/// An empty timer slot, declared beside an attempt's future and lent to
/// its time limit by [`timeout_in`] or [`attempt_in`].
#[inline]
pub fn timer_slot() -> Option<Sleep> {
    None
}

/// `#[timeout]` under a layer that runs the body again: the call under
/// `limit`, its timer kept in `slot`, so that the future built for each
/// attempt stays small enough to move without a `memcpy`.
#[inline]
pub fn timeout_in<'m, 's, T, E, F: Future<Output = Result<T, E>>>(
    slot: Pin<&'s mut Option<Sleep>>,
    limit: Duration,
    metrics: &'m Metrics,
    convert: fn(TimedOut) -> E,
    call: F,
) -> TimeLimit<'m, F, E, Pin<&'s mut Option<Sleep>>> {
    TimeLimit::new(Some(limit), metrics, convert, slot, call)
}

/// [`Retrying::attempt`], its timer kept in `slot`, as [`timeout_in`]
/// keeps a `#[timeout]`'s.
#[inline]
pub fn attempt_in<'c, 's, T, E, F: Future<Output = Result<T, E>>>(
    retry: &Retrying<'_>,
    call: &'c mut Call<'_>,
    convert: fn(TimedOut) -> E,
    slot: Pin<&'s mut Option<Sleep>>,
    attempt: F,
) -> TimeLimit<'c, Scoped<'c, F>, E, Pin<&'s mut Option<Sleep>>> {
    retry.attempt_in(call, convert, slot, attempt)
}

/// Gives each attempt its own copy of an owned argument.
#[diagnostic::on_unimplemented(
    message = "the body runs more than once (`#[retry]`, `#[self_heal]`, `#[fallback]`), each time with \
               its own `{Self}`, but `{Self}` is not `Clone`",
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
    message = "a `#[retry_after]` field must be a `Duration` or an `Option<Duration>`, not `{Self}`",
    label = "the wait the service asked for, as `std::time::Duration`"
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

/// The error types a circuit breaker can refuse a call with: those with
/// `From<CircuitOpen>`. It exists for its message.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot report an open circuit: it does not implement `From<resilient_async::CircuitOpen>`",
    label = "this error type needs `From<resilient_async::CircuitOpen>`",
    note = "`#[circuit_breaker]` refuses calls while open with `Err({Self}::from(CircuitOpen))`",
    note = "if `{Self}` is your type, add a variant holding a `resilient_async::CircuitOpen` (mark it `#[delegate]` with \
            `#[derive(Transient)]`, so a `#[retry]` waits for the cooldown) and implement `From<resilient_async::CircuitOpen> for {Self}`",
    note = "if it comes from another crate, return an error that can hold both: an enum of yours, `Box<dyn Error + Send + Sync>`, \
            `anyhow::Error`, or for `reqwest::Error` the ready `resilient_async::http::Error` (feature `reqwest`)"
)]
pub trait CanReject: From<CircuitOpen> {}

impl<E: From<CircuitOpen>> CanReject for E {}

/// How a refused call fails: `E::from(CircuitOpen)`. The bound is checked
/// here alone, at the user's error type.
#[inline]
pub fn rejection<E: CanReject>() -> fn(CircuitOpen) -> E {
    E::from
}

/// `#[circuit_breaker]`: the call through `breaker`, with the refusal's
/// conversion and the `record_if` decision already checked.
#[inline]
pub fn breaker_call<'b, T, E, F, H: Head>(
    breaker: &'b CircuitBreaker<H>,
    record: fn(&E) -> bool,
    metrics: &'b Metrics,
    reject: fn(CircuitOpen) -> E,
    call: F,
) -> BreakerCall<'b, F, T, E, H>
where
    F: Future<Output = Result<T, E>>,
{
    BreakerCall::new(breaker, record, Some(metrics), reject, call)
}

/// The keys `key = expr` may have: those with `Hash`. It exists for its
/// message.
#[diagnostic::on_unimplemented(
    message = "`#[circuit_breaker(key = ...)]` keeps one breaker per key, but `{Self}` does not implement `Hash`",
    label = "the key of this call's breaker",
    note = "derive or implement `Hash` for `{Self}`, or key on a field that has it (a host name, a tenant id)"
)]
pub trait BreakerKey: Hash {}

impl<K: Hash + ?Sized> BreakerKey for K {}

/// `key = expr`: the breaker for this call's key.
#[inline]
pub fn keyed_breaker<K: BreakerKey + ?Sized>(
    breakers: &KeyedBreakers,
    key: &K,
) -> Arc<KeyedBreaker> {
    breakers.get(key)
}

/// Every error counts.
pub use crate::fallback::always;

/// The futures a fallback tier may return: it must be an `async fn`. It
/// exists for its message.
#[diagnostic::on_unimplemented(
    message = "a `#[fallback]` alternative must be an `async fn`, but this call returns `{Self}`",
    label = "not an `async fn`"
)]
pub trait TierCall: IntoFuture {}

impl<F: IntoFuture> TierCall for F {}

/// `#[fallback]`: one alternative's call, checked once, at its name.
#[inline]
pub fn tier<F: TierCall>(call: F) -> F::IntoFuture {
    call.into_future()
}

/// The futures a diagnoser may return: `Heal`. It exists for its message.
#[diagnostic::on_unimplemented(
    message = "a `#[self_heal]` diagnoser must be an `async fn` returning `resilient_async::Heal`, \
               but this call returns `{Self}`",
    label = "not an `async fn` returning `Heal`"
)]
pub trait Diagnosis: IntoFuture<Output = Heal> {}

impl<F: IntoFuture<Output = Heal>> Diagnosis for F {}

/// `#[self_heal]`: the diagnoser's call, checked once, at its path (an
/// opaque `Heal` future, so that nothing after checks it again).
#[inline]
pub fn diagnosis<F: Diagnosis>(call: F) -> impl Future<Output = Heal> {
    call.into_future()
}

/// What an expansion calls on a config (`RetryConfig`, `BreakerConfig`,
/// `HealConfig`): `with` to write each setting the attribute read, and
/// `checked` to build a policy the attribute has checked already, in the
/// `static` it expands to.
macro_rules! config_doors {
    ($policy:ty) => {
        /// The config with `value` for `key`, as the attribute read it: how
        /// an expansion writes its policy, whatever keys the spec has.
        #[doc(hidden)]
        pub const fn with(
            mut self,
            key: &'static resilient_spec::Key,
            value: resilient_spec::Value,
        ) -> Self {
            // The attribute refused what breaks a rule before writing this.
            let _ = self.settings.set(key, value);
            self
        }

        /// [`build`](Self::build), for settings the attribute checked.
        #[doc(hidden)]
        pub const fn checked(self) -> $policy {
            match self.build() {
                Ok(policy) => policy,
                Err(_) => panic!("checked when the attribute expanded"),
            }
        }
    };
}
pub(crate) use config_doors;
