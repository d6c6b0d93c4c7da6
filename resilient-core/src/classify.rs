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
    note = "if `{Self}` is your type, add `#[derive(resilient_async::Transient)]` to it (or implement `resilient_async::Transient` by hand)",
    note = "if it comes from another crate, give `#[retry]` a `retry_if = path::to::fn` taking `&{Self}`, or return an error of yours \
            that holds it; `Box<dyn Error + Send + Sync>`, `anyhow::Error` (feature `anyhow`) and `reqwest::Error` (feature `reqwest`) \
            implement `Transient` already"
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

/// What the first error of `error`'s source chain that this crate knows
/// (a [`CircuitOpen`](crate::CircuitOpen), a [`TimedOut`](crate::TimedOut),
/// an [`io::Error`], or with the `reqwest` feature a `reqwest::Error`)
/// says; an error nothing in the chain explains is transient, as in
/// tenacity and Polly, with `retry_if` for a narrower rule.
pub(crate) fn chain_verdict(error: &(dyn std::error::Error + 'static)) -> Verdict {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(v) = known_verdict(e) {
            return v;
        }
        cause = e.source();
    }
    Verdict {
        retry: true,
        retry_after: None,
    }
}

fn known_verdict(e: &(dyn std::error::Error + 'static)) -> Option<Verdict> {
    fn of<T: Transient>(e: &T) -> Verdict {
        Verdict {
            retry: e.is_transient(),
            retry_after: e.retry_after(),
        }
    }
    if let Some(open) = e.downcast_ref::<crate::CircuitOpen>() {
        return Some(of(open));
    }
    if let Some(late) = e.downcast_ref::<crate::TimedOut>() {
        return Some(of(late));
    }
    if let Some(io) = e.downcast_ref::<io::Error>() {
        // An `io::Error` wrapping one of ours speaks for it.
        return Some(match io.get_ref() {
            Some(inner) => known_verdict(inner).unwrap_or_else(|| of(io)),
            None => of(io),
        });
    }
    #[cfg(feature = "reqwest")]
    if let Some(http) = e.downcast_ref::<crate::http::Error>() {
        return Some(of(http));
    }
    #[cfg(feature = "reqwest")]
    if let Some(r) = e.downcast_ref::<reqwest::Error>() {
        return Some(of(r));
    }
    None
}

macro_rules! dyn_error_transient {
    ($($t:ty),*) => {$(
        /// Classified by the first error of its source chain this crate
        /// knows (a [`CircuitOpen`](crate::CircuitOpen) keeps its cooldown
        /// as the wait); an unknown error is transient.
        ///
        /// ```
        /// use std::error::Error;
        /// use std::io;
        /// use resilient_core::Transient;
        ///
        /// let e: Box<dyn Error + Send + Sync> = io::Error::from(io::ErrorKind::PermissionDenied).into();
        /// assert!(!e.is_transient());
        /// let e: Box<dyn Error + Send + Sync> = "model overloaded".into();
        /// assert!(e.is_transient());
        /// ```
        impl Transient for $t {
            fn is_transient(&self) -> bool {
                chain_verdict(self).retry
            }
            fn retry_after(&self) -> Option<Duration> {
                chain_verdict(self).retry_after
            }
        }
    )*};
}

dyn_error_transient!(
    dyn std::error::Error + 'static,
    dyn std::error::Error + Send + 'static,
    dyn std::error::Error + Send + Sync + 'static
);

/// Classified like `Box<dyn Error + Send + Sync>`: by the first error of
/// its chain this crate knows, whatever context was added around it.
///
/// ```
/// use anyhow::Context;
/// use resilient_core::{CircuitOpen, Transient};
///
/// let e = anyhow::Error::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
///     .context("calling the OCR service");
/// assert!(e.is_transient());
/// let e = anyhow::anyhow!("bad receipt").context("parsing");
/// assert!(e.is_transient()); // unknown: retried, unless `retry_if` says otherwise
/// ```
#[cfg(feature = "anyhow")]
#[cfg_attr(docsrs, doc(cfg(feature = "anyhow")))]
impl Transient for anyhow::Error {
    fn is_transient(&self) -> bool {
        chain_verdict(self.as_ref()).retry
    }
    fn retry_after(&self) -> Option<Duration> {
        chain_verdict(self.as_ref()).retry_after
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

/// A classification that keeps the error's own wait: `C` decides whether
/// to retry, and the [`Transient::retry_after`] of the error (a
/// `Retry-After`, a breaker's cooldown) still sets the least wait.
///
/// `#[retry(retry_if = ...)]` uses it whenever the error type implements
/// [`Transient`], so that a predicate never loses those hints.
///
/// ```
/// use std::time::Duration;
/// use resilient_core::{CircuitOpen, Classify, RetryIf, WithHints};
///
/// let open = CircuitOpen::new("ocr", Some(Duration::from_secs(30)));
/// let verdict = WithHints(RetryIf(|_: &CircuitOpen| true)).classify(&open);
/// assert_eq!(verdict.retry_after, Some(Duration::from_secs(30)));
/// assert_eq!(RetryIf(|_: &CircuitOpen| true).classify(&open).retry_after, None);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct WithHints<C>(pub C);

impl<E: Transient + ?Sized, C: Classify<E>> Classify<E> for WithHints<C> {
    #[inline]
    fn classify(&self, error: &E) -> Verdict {
        let verdict = self.0.classify(error);
        Verdict {
            retry: verdict.retry,
            retry_after: verdict.retry_after.or_else(|| error.retry_after()),
        }
    }
}

/// What a check of a successful result answers: `bool` (`true` retries),
/// `Option<Duration>` (`Some(wait)` retries, after at least `wait`, such
/// as a 503's `Retry-After`), or a [`Verdict`].
///
/// ```
/// use std::time::Duration;
/// use resilient_core::ResultVerdict;
///
/// assert!(true.verdict().retry);
/// let wait = Some(Duration::from_secs(2)).verdict();
/// assert_eq!((wait.retry, wait.retry_after), (true, Some(Duration::from_secs(2))));
/// assert!(!None::<Duration>.verdict().retry);
/// ```
#[diagnostic::on_unimplemented(
    message = "a `retry_on` check must return `bool`, `Option<Duration>` or `Verdict`, not `{Self}`",
    label = "`true` or `Some(wait)` retries the result"
)]
pub trait ResultVerdict {
    /// The answer as a [`Verdict`].
    fn verdict(self) -> Verdict;
}

impl ResultVerdict for bool {
    #[inline]
    fn verdict(self) -> Verdict {
        Verdict {
            retry: self,
            retry_after: None,
        }
    }
}

impl ResultVerdict for Verdict {
    #[inline]
    fn verdict(self) -> Verdict {
        self
    }
}

impl ResultVerdict for Option<Duration> {
    #[inline]
    fn verdict(self) -> Verdict {
        Verdict {
            retry: self.is_some(),
            retry_after: self.filter(|d| !d.is_zero()),
        }
    }
}

/// Decides whether a successful result is retried, as resilience4j's
/// `retryOnResult`, tenacity's `retry_if_result` and Polly's
/// `HandleResult` do: an HTTP 503 that arrived as an `Ok(Response)`.
///
/// A retried result counts as a failed attempt (in the figures and in the
/// circuit breaker); when the retries run out, the last result is
/// returned as it was.
///
/// ```
/// use resilient_core::{ClassifyResult, Verdict};
///
/// /// Retries an empty page.
/// struct EmptyPage;
/// impl ClassifyResult<Vec<u8>> for EmptyPage {
///     fn classify_result(&self, page: &Vec<u8>) -> Verdict {
///         Verdict { retry: page.is_empty(), retry_after: None }
///     }
/// }
/// assert!(EmptyPage.classify_result(&Vec::new()).retry);
/// ```
pub trait ClassifyResult<T: ?Sized> {
    /// Classifies one successful result.
    fn classify_result(&self, value: &T) -> Verdict;
}

/// Takes every successful result as it is: the default.
///
/// ```
/// use resilient_core::{AcceptAll, ClassifyResult};
///
/// assert!(!AcceptAll.classify_result(&503u16).retry);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct AcceptAll;

impl<T: ?Sized> ClassifyResult<T> for AcceptAll {
    #[inline(always)]
    fn classify_result(&self, _: &T) -> Verdict {
        Verdict {
            retry: false,
            retry_after: None,
        }
    }
}

/// Retries the successful results a check refuses; the check returns
/// `bool`, or `Option<Duration>` to give a wait.
///
/// ```
/// use std::time::Duration;
/// use resilient_core::{ClassifyResult, RetryOn};
///
/// struct Response { status: u16, retry_after: Option<u64> }
/// fn unavailable(r: &Response) -> Option<Duration> {
///     (r.status == 503).then(|| Duration::from_secs(r.retry_after.unwrap_or(0)))
/// }
/// let check = RetryOn(unavailable);
/// let verdict = check.classify_result(&Response { status: 503, retry_after: Some(2) });
/// assert!(verdict.retry);
/// assert_eq!(verdict.retry_after, Some(Duration::from_secs(2)));
/// assert!(!check.classify_result(&Response { status: 200, retry_after: None }).retry);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RetryOn<F>(pub F);

impl<T: ?Sized, R: ResultVerdict, F: Fn(&T) -> R> ClassifyResult<T> for RetryOn<F> {
    #[inline]
    fn classify_result(&self, value: &T) -> Verdict {
        (self.0)(value).verdict()
    }
}
