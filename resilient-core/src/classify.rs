//! Which errors are worth retrying.

use std::io;
use std::time::Duration;

/// Says whether an error is worth another attempt.
///
/// Transient errors (a timeout, a dropped connection, an HTTP 429 or 503) may
/// succeed if tried again; permanent ones (bad credentials, invalid input, not
/// found) never will, and are returned at once. `#[retry]` needs the error type
/// to implement this trait, or a `retry_if = path` predicate instead.
///
/// Derive it for an error enum with `#[derive(Transient)]`, marking each
/// variant `#[transient]` or `#[permanent]`, or implement it by hand:
///
/// ```
/// use std::time::Duration;
/// use resilient_core::Transient;
///
/// enum ApiError {
///     RateLimited { retry_after: Duration },
///     Unauthorized,
/// }
///
/// impl Transient for ApiError {
///     fn is_transient(&self) -> bool {
///         matches!(self, ApiError::RateLimited { .. })
///     }
///     fn retry_after(&self) -> Option<Duration> {
///         match self {
///             ApiError::RateLimited { retry_after } => Some(*retry_after),
///             ApiError::Unauthorized => None,
///         }
///     }
/// }
///
/// assert!(ApiError::RateLimited { retry_after: Duration::from_secs(1) }.is_transient());
/// assert!(!ApiError::Unauthorized.is_transient());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not say whether it is worth retrying",
    label = "`{Self}` does not implement `resilient_async::Transient`",
    note = "add `#[derive(resilient_async::Transient)]` to `{Self}` (or implement `resilient_async::Transient` by hand); \
            with `#[retry]`, `retry_if = path::to::fn` with a `fn(&{Self}) -> bool` may decide instead"
)]
pub trait Transient {
    /// `true` when another attempt may succeed.
    fn is_transient(&self) -> bool;

    /// How long the service asked us to wait before trying again (an HTTP
    /// `Retry-After`). When it is longer than the backoff delay it replaces
    /// it; when it exceeds `max_delay` or the time left before the deadline,
    /// the retries end at once.
    ///
    /// # Default
    /// `None`.
    fn retry_after(&self) -> Option<Duration> {
        None
    }
}

impl<T: Transient + ?Sized> Transient for &T {
    fn is_transient(&self) -> bool {
        (**self).is_transient()
    }
    fn retry_after(&self) -> Option<Duration> {
        (**self).retry_after()
    }
}

impl<T: Transient + ?Sized> Transient for Box<T> {
    fn is_transient(&self) -> bool {
        (**self).is_transient()
    }
    fn retry_after(&self) -> Option<Duration> {
        (**self).retry_after()
    }
}

/// I/O errors are transient when the kind says the peer or the network may
/// recover: timeouts, interruptions, refused, reset or aborted connections,
/// unreachable hosts and busy resources. Everything else (not found,
/// permission denied, invalid input or data, ...) is permanent.
///
/// ```
/// use std::io;
/// use resilient_core::Transient;
///
/// assert!(io::Error::from(io::ErrorKind::ConnectionReset).is_transient());
/// assert!(!io::Error::from(io::ErrorKind::PermissionDenied).is_transient());
/// ```
impl Transient for io::Error {
    fn is_transient(&self) -> bool {
        use io::ErrorKind::*;
        matches!(
            self.kind(),
            TimedOut
                | Interrupted
                | WouldBlock
                | ConnectionRefused
                | ConnectionReset
                | ConnectionAborted
                | NotConnected
                | BrokenPipe
                | UnexpectedEof
                | HostUnreachable
                | NetworkUnreachable
                | NetworkDown
                | ResourceBusy
        )
    }

    /// The wait of a [`CircuitOpen`](crate::CircuitOpen) carried inside.
    fn retry_after(&self) -> Option<Duration> {
        self.get_ref()?
            .downcast_ref::<crate::CircuitOpen>()?
            .retry_after()
    }
}

/// A classification: retry or not, and how long the service asked us to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Whether another attempt may succeed.
    pub retry: bool,
    /// A server-sent minimum wait (`Retry-After`).
    pub retry_after: Option<Duration>,
}

/// Decides whether an error of type `E` is retried.
///
/// [`ByTransient`] asks the error's [`Transient`] impl; [`RetryIf`] asks a
/// predicate. Implement it for a custom policy.
///
/// ```
/// use resilient_core::{Classify, RetryIf};
///
/// let only_odd = RetryIf(|e: &u32| e % 2 == 1);
/// assert!(only_odd.classify(&3).retry);
/// assert!(!only_odd.classify(&4).retry);
/// ```
pub trait Classify<E: ?Sized> {
    /// Classifies one error.
    fn classify(&self, error: &E) -> Verdict;
}

/// Classifies with the error's own [`Transient`] implementation.
///
/// ```
/// use std::io;
/// use resilient_core::{ByTransient, Classify};
///
/// let verdict = ByTransient.classify(&io::Error::from(io::ErrorKind::TimedOut));
/// assert!(verdict.retry);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ByTransient;

impl<E: Transient + ?Sized> Classify<E> for ByTransient {
    #[inline]
    fn classify(&self, error: &E) -> Verdict {
        Verdict {
            retry: error.is_transient(),
            retry_after: error.retry_after(),
        }
    }
}

/// Classifies with a predicate: `true` retries. It overrides the error's
/// [`Transient`] impl, and carries no `Retry-After` hint.
///
/// ```
/// use resilient_core::{Classify, RetryIf};
///
/// fn is_busy(e: &String) -> bool { e.contains("busy") }
/// assert!(RetryIf(is_busy).classify(&"server busy".to_string()).retry);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RetryIf<F>(pub F);

impl<E: ?Sized, F: Fn(&E) -> bool> Classify<E> for RetryIf<F> {
    #[inline]
    fn classify(&self, error: &E) -> Verdict {
        Verdict {
            retry: (self.0)(error),
            retry_after: None,
        }
    }
}
