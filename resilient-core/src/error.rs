//! The framework's own errors.

use std::fmt;
use std::io;
use std::time::Duration;

use resilient_spec::{Naming, Violation};

use crate::{Name, Transient};

/// A call or attempt ran out of time.
///
/// `#[timeout]`, and `#[retry]` with `timeout` or `deadline`, return
/// `Err(E::from(TimedOut))`, so the function's error type needs
/// `From<TimedOut>`. It is transient: another attempt may be faster.
///
/// ```
/// use resilient_core::{TimedOut, Transient};
///
/// #[derive(Debug)]
/// enum OcrError { Timeout(TimedOut), BadImage }
///
/// impl From<TimedOut> for OcrError {
///     fn from(t: TimedOut) -> Self { OcrError::Timeout(t) }
/// }
///
/// assert!(TimedOut::new(std::time::Duration::from_secs(30)).is_transient());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimedOut {
    after: Duration,
}

impl TimedOut {
    /// A timeout that fired after `after`.
    pub const fn new(after: Duration) -> Self {
        TimedOut { after }
    }

    /// How long the call or attempt was allowed to run.
    pub const fn after(&self) -> Duration {
        self.after
    }
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timed out after {:?}", self.after)
    }
}

impl std::error::Error for TimedOut {}

impl Transient for TimedOut {
    fn is_transient(&self) -> bool {
        true
    }
}

/// Lets functions returning `std::io::Result` use `#[timeout]`: the error has
/// kind [`io::ErrorKind::TimedOut`], which is transient.
impl From<TimedOut> for io::Error {
    fn from(t: TimedOut) -> Self {
        io::Error::new(io::ErrorKind::TimedOut, t)
    }
}

/// A circuit breaker refused the call: the service behind it is failing, and
/// the call did not run.
///
/// `#[circuit_breaker]` returns `Err(E::from(CircuitOpen))`, so the
/// function's error type needs `From<CircuitOpen>`. It is transient, with the
/// time left until the breaker lets a probe through as its
/// [`retry_after`](Transient::retry_after): a `#[retry]` above the breaker
/// waits for the cooldown when that fits its `max_delay` and deadline, and
/// gives up at once when it does not. A breaker isolated by hand has no such
/// time, and its refusal is permanent.
///
/// ```
/// use std::time::Duration;
/// use resilient_core::{CircuitOpen, Transient};
///
/// let open = CircuitOpen::new("ocr", Some(Duration::from_secs(12)));
/// assert!(open.is_transient());
/// assert_eq!(open.retry_after(), Some(Duration::from_secs(12)));
/// assert_eq!(open.to_string(), "circuit breaker `ocr` is open; next probe in 12s");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CircuitOpen {
    breaker: Name,
    retry_after: Option<Duration>,
}

impl CircuitOpen {
    /// A refusal by the breaker `breaker`, which will let a probe through
    /// after `retry_after` (`None`: isolated until reset by hand).
    pub fn new(breaker: impl Into<Name>, retry_after: Option<Duration>) -> Self {
        CircuitOpen {
            breaker: breaker.into(),
            retry_after,
        }
    }

    /// The name of the breaker that refused the call.
    pub fn breaker(&self) -> &str {
        &self.breaker
    }

    /// How long until the breaker lets a probe through: zero while probes
    /// are running, `None` when isolated by hand.
    pub const fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Display for CircuitOpen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.retry_after {
            Some(wait) => write!(
                f,
                "circuit breaker `{}` is open; next probe in {}",
                self.breaker,
                humantime::format_duration(wait)
            ),
            None => write!(f, "circuit breaker `{}` is isolated", self.breaker),
        }
    }
}

impl std::error::Error for CircuitOpen {}

impl Transient for CircuitOpen {
    fn is_transient(&self) -> bool {
        self.retry_after.is_some()
    }
    fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

/// Lets functions returning `std::io::Result` use `#[circuit_breaker]`. The
/// kind is [`io::ErrorKind::ResourceBusy`] (transient) while the breaker will
/// probe again, [`io::ErrorKind::Other`] (permanent) when it is isolated; the
/// `io::Error`'s own [`Transient`] impl reads the wait back.
impl From<CircuitOpen> for io::Error {
    fn from(open: CircuitOpen) -> Self {
        let kind = match open.retry_after {
            Some(_) => io::ErrorKind::ResourceBusy,
            None => io::ErrorKind::Other,
        };
        io::Error::new(kind, open)
    }
}

/// A policy built in code with a value that makes no sense.
///
/// The attributes refuse the same values at compile time and policy files
/// at load time, with the same words; a builder's `build()` returns this
/// error, naming the setter, instead of panicking.
///
/// ```
/// use resilient_core::RetryConfig;
///
/// let err = RetryConfig::new().factor(0.5).build().unwrap_err();
/// assert_eq!(err.field(), "factor");
/// assert_eq!(err.to_string(), "`factor` must be at least 1.0, found 0.5");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConfigError {
    violation: Violation,
}

impl ConfigError {
    pub(crate) const fn new(violation: Violation) -> Self {
        ConfigError { violation }
    }

    /// The name of the offending setter.
    pub const fn field(&self) -> &'static str {
        self.violation.key.field
    }

    /// Why the value was refused, after the field's name.
    pub fn reason(&self) -> String {
        self.violation.reason(Naming::Builder)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.violation.message(Naming::Builder))
    }
}

impl std::error::Error for ConfigError {}
