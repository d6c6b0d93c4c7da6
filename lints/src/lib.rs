//! Every function shape users write, with `resilient-async`'s attributes
//! behind `feature = "with"`. `.ci/lint-differential` runs clippy (pedantic)
//! with and without them; any warning the attributes add fails CI.
#![allow(dead_code, async_fn_in_trait, clippy::unused_async)]

use std::fmt;

#[cfg(feature = "with")]
use resilient_async::{circuit_breaker, fallback, retry, self_heal, timeout};
use resilient_async::{CircuitOpen, Heal, TimedOut, Transient};

/// An error type with everything the attributes need.
#[derive(Debug, Clone, PartialEq, Eq, Transient)]
pub enum Error {
    /// Worth another try.
    #[transient]
    Busy,
    /// Not.
    #[permanent]
    Bad,
    /// A timeout.
    #[transient]
    Late(TimedOut),
    /// A refusal.
    #[delegate]
    Open(CircuitOpen),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for Error {}

impl From<TimedOut> for Error {
    fn from(t: TimedOut) -> Self {
        Error::Late(t)
    }
}

impl From<CircuitOpen> for Error {
    fn from(o: CircuitOpen) -> Self {
        Error::Open(o)
    }
}

async fn diagnose(_: &Error) -> Heal {
    Heal::GiveUp
}

async fn backup() -> Result<u32, Error> {
    Ok(0)
}

/// A one-line body.
#[cfg_attr(feature = "with", retry)]
pub async fn one_line() -> Result<u32, Error> {
    Ok(1)
}

/// `Ok(())`.
#[cfg_attr(feature = "with", retry(max = 2))]
#[cfg_attr(feature = "with", circuit_breaker)]
#[cfg_attr(feature = "with", timeout("1s"))]
pub async fn unit() -> Result<(), Error> {
    Ok(())
}

/// Every layer on a one-line body.
#[cfg_attr(feature = "with", retry(max = 1))]
#[cfg_attr(feature = "with", circuit_breaker(threshold = 3))]
#[cfg_attr(feature = "with", timeout("1s"))]
#[cfg_attr(feature = "with", fallback(backup))]
#[cfg_attr(feature = "with", self_heal(diagnoser = diagnose))]
pub async fn every_layer() -> Result<u32, Error> {
    Ok(2)
}

/// Inner attributes.
#[cfg_attr(feature = "with", retry)]
pub async fn inner_attributes() -> Result<u32, Error> {
    #![allow(clippy::needless_return)]
    let n = 3;
    return Ok(n);
}

/// `?` and an early return.
#[cfg_attr(feature = "with", retry(max = 2))]
#[cfg_attr(feature = "with", timeout("1s"))]
pub async fn question_mark(input: &str) -> Result<u32, Error> {
    if input.is_empty() {
        return Err(Error::Bad);
    }
    let n = unit().await.map(|()| 4)?;
    Ok(n)
}

/// Owned arguments, cloned per attempt.
#[cfg_attr(feature = "with", retry)]
pub async fn owned(name: String, bytes: Vec<u8>) -> Result<usize, Error> {
    Ok(name.len() + bytes.len())
}

/// `impl Trait` arguments.
#[cfg_attr(feature = "with", retry)]
#[cfg_attr(feature = "with", circuit_breaker)]
pub async fn impl_trait(
    name: impl AsRef<str>,
    more: impl Clone + fmt::Debug,
) -> Result<usize, Error> {
    Ok(name.as_ref().len() + format!("{more:?}").len())
}

/// Generics with a where clause.
#[cfg_attr(feature = "with", retry)]
pub async fn generic<T>(value: &T) -> Result<String, Error>
where
    T: fmt::Display + Sync,
{
    Ok(value.to_string())
}

/// `#[must_use]` and documentation.
#[must_use = "the count matters"]
#[cfg_attr(feature = "with", retry)]
pub async fn must_use() -> Result<u32, Error> {
    Ok(5)
}

/// Beside `#[tracing::instrument]`.
#[tracing::instrument]
#[cfg_attr(feature = "with", retry)]
#[cfg_attr(feature = "with", timeout("1s"))]
pub async fn instrumented(id: u32) -> Result<u32, Error> {
    Ok(id)
}

/// A client with methods.
#[derive(Debug, Default)]
pub struct Client {
    sent: u32,
}

impl Client {
    /// `&self`.
    #[cfg_attr(feature = "with", retry)]
    #[cfg_attr(feature = "with", circuit_breaker(key = self.sent))]
    pub async fn get(&self, id: u32) -> Result<u32, Error> {
        Ok(id + self.sent)
    }

    /// `&mut self`.
    #[cfg_attr(feature = "with", retry)]
    #[cfg_attr(feature = "with", self_heal(diagnoser = diagnose_client))]
    pub async fn send(&mut self) -> Result<u32, Error> {
        self.sent += 1;
        Ok(self.sent)
    }
}

/// A trait with native async methods.
pub trait Api {
    /// With a default body.
    #[cfg_attr(feature = "with", retry)]
    async fn fetch(&self) -> Result<u32, Error> {
        Ok(6)
    }

    /// Implemented below.
    async fn store(&self, value: u32) -> Result<u32, Error>;
}

impl Client {
    async fn diagnose_client(&self, _: &Error) -> Heal {
        Heal::GiveUp
    }
}

impl Api for Client {
    #[cfg_attr(feature = "with", retry)]
    #[cfg_attr(feature = "with", timeout("1s"))]
    async fn store(&self, value: u32) -> Result<u32, Error> {
        Ok(value)
    }
}

fn is_busy(e: &Error) -> bool {
    matches!(e, Error::Busy)
}

fn unavailable(status: &u16) -> bool {
    *status == 503
}

/// A predicate on errors, one on results, and a breaker that counts both.
#[cfg_attr(feature = "with", retry(max = 2, retry_if = is_busy, retry_on = unavailable))]
#[cfg_attr(feature = "with", circuit_breaker(threshold = 3))]
pub async fn predicates() -> Result<u16, Error> {
    Ok(200)
}

/// A boxed error under every layer that makes one.
#[cfg_attr(feature = "with", retry(max = 2))]
#[cfg_attr(feature = "with", circuit_breaker(threshold = 3))]
#[cfg_attr(feature = "with", timeout("1s"))]
pub async fn boxed() -> Result<u16, Box<dyn std::error::Error + Send + Sync>> {
    Ok(200)
}

/// The tutorial's self-healing shape: one diagnosis, then retries.
#[cfg_attr(
    feature = "with",
    self_heal(diagnoser = diagnose, then = retry(attempts = 3, backoff = "500ms"))
)]
pub async fn heal_then_retry() -> Result<u32, Error> {
    Ok(5)
}
