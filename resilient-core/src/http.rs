//! HTTP clients (feature `reqwest`): a ready error type for functions that
//! call reqwest under `#[timeout]` and `#[circuit_breaker]`, which
//! `reqwest::Error` cannot carry; [`Transient`] for `reqwest::Error`; the
//! `Retry-After` header in both its forms; and a [`reqwest_middleware`]
//! middleware that retries with the same engines.
//!
//! ```
//! use resilient_core::http::{self, Error};
//! use resilient_core::Transient;
//!
//! // What a function under `#[retry]`, `#[circuit_breaker]` and `#[timeout]` returns:
//! async fn fetch(client: &reqwest::Client, url: &str) -> Result<String, Error> {
//!     let response = http::error_for_status(client.get(url).send().await?)?;
//!     Ok(response.text().await?)
//! }
//!
//! let busy = Error::Status { status: reqwest::StatusCode::SERVICE_UNAVAILABLE, retry_after: None };
//! assert!(busy.is_transient());
//! ```
//!
//! Which statuses are transient: 408, 425, 429, 500, 502, 503 and 504.
//! `reqwest::Error`s are transient when they are timeouts, connection or
//! request failures, a body cut short, or carry one of those statuses;
//! building, redirect and decoding errors are permanent.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Request, Response, StatusCode};

use crate::circuit_breaker::{BreakerCall, BreakerPolicy, CircuitBreaker};
use crate::context::{fresh_key, Call};
use crate::metrics::Metrics;
use crate::retry::{RetryPolicy, Retrying};
use crate::{
    attempt, CircuitOpen, Classify, ClassifyResult, Name, Step, TimedOut, Transient, Verdict,
};

/// Whether a response with this status may succeed if tried again.
///
/// ```
/// use reqwest::StatusCode;
/// use resilient_core::http::is_transient_status;
///
/// assert!(is_transient_status(StatusCode::TOO_MANY_REQUESTS));
/// assert!(!is_transient_status(StatusCode::NOT_FOUND));
/// ```
pub fn is_transient_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 425 | 429 | 500 | 502 | 503 | 504)
}

/// The wait a `Retry-After` header asks for: delay-seconds (`120`) or an
/// HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`, zero once past). `None`
/// without the header or when it does not parse.
///
/// ```
/// use std::time::Duration;
/// use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
/// use resilient_core::http::retry_after;
///
/// let mut headers = HeaderMap::new();
/// headers.insert(RETRY_AFTER, HeaderValue::from_static("120"));
/// assert_eq!(retry_after(&headers), Some(Duration::from_secs(120)));
/// headers.insert(RETRY_AFTER, HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
/// assert_eq!(retry_after(&headers), Some(Duration::ZERO));
/// ```
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or_default())
}

/// A response with an error status (4xx, 5xx) as an [`Error::Status`]
/// keeping its `Retry-After`; others as they are. reqwest's own
/// `error_for_status` drops the headers.
///
/// # Errors
/// [`Error::Status`] for a 4xx or 5xx response.
pub fn error_for_status(response: Response) -> Result<Response, Error> {
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        return Err(Error::Status {
            status,
            retry_after: retry_after(response.headers()),
        });
    }
    Ok(response)
}

/// A `retry_on` check for functions that return the `Response`: a
/// transient status is retried, after at least its `Retry-After`.
///
/// ```
/// use resilient_core::http;
///
/// // #[retry(retry_on = resilient_async::http::unavailable)]
/// async fn status(client: &reqwest::Client) -> Result<reqwest::Response, reqwest::Error> {
///     client.get("http://localhost:9/health").send().await
/// }
/// let _ = http::unavailable;
/// ```
pub fn unavailable(response: &Response) -> Option<Duration> {
    is_transient_status(response.status())
        .then(|| retry_after(response.headers()).unwrap_or_default())
}

/// `reqwest::Error` classified by its kind and status (see the
/// [module](self)). It carries no `Retry-After`: reqwest drops the headers;
/// [`error_for_status`] keeps them.
impl Transient for reqwest::Error {
    fn is_transient(&self) -> bool {
        if let Some(status) = self.status() {
            return is_transient_status(status);
        }
        self.is_timeout() || self.is_connect() || self.is_request() || self.is_body()
    }
}

/// An HTTP call's error: what reqwest reported, an error status, a
/// timeout or a refusal of the circuit breaker. It has the
/// `From<TimedOut>` and `From<CircuitOpen>` that `#[timeout]` and
/// `#[circuit_breaker]` need, and keeps the waits of `Retry-After` and of
/// the breaker's cooldown for `#[retry]`.
///
/// ```
/// use std::time::Duration;
/// use resilient_core::http::Error;
/// use resilient_core::{CircuitOpen, Transient};
///
/// let refused = Error::from(CircuitOpen::new("api", Some(Duration::from_secs(9))));
/// assert_eq!(refused.retry_after(), Some(Duration::from_secs(9)));
/// assert_eq!(refused.status(), None);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// What reqwest reported: connection, timeout, body, decoding...
    Reqwest(reqwest::Error),
    /// A response with an error status, from [`error_for_status`].
    Status {
        /// The status.
        status: StatusCode,
        /// The wait its `Retry-After` asked for.
        retry_after: Option<Duration>,
    },
    /// The call ran out of time.
    TimedOut(TimedOut),
    /// The circuit breaker refused the call.
    CircuitOpen(CircuitOpen),
}

impl Error {
    /// The status, when the server answered with an error or reqwest
    /// reported one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Reqwest(e) => e.status(),
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Reqwest(e) => e.fmt(f),
            Error::Status { status, .. } => write!(f, "HTTP status {status}"),
            Error::TimedOut(e) => e.fmt(f),
            Error::CircuitOpen(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Reqwest(e) => Some(e),
            Error::Status { .. } => None,
            Error::TimedOut(e) => Some(e),
            Error::CircuitOpen(e) => Some(e),
        }
    }
}

impl Transient for Error {
    fn is_transient(&self) -> bool {
        match self {
            Error::Reqwest(e) => e.is_transient(),
            Error::Status { status, .. } => is_transient_status(*status),
            Error::TimedOut(_) => true,
            Error::CircuitOpen(e) => e.is_transient(),
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Status { retry_after, .. } => *retry_after,
            Error::CircuitOpen(e) => e.retry_after(),
            _ => None,
        }
    }
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        Error::Reqwest(e)
    }
}

impl From<TimedOut> for Error {
    fn from(e: TimedOut) -> Self {
        Error::TimedOut(e)
    }
}

impl From<CircuitOpen> for Error {
    fn from(e: CircuitOpen) -> Self {
        Error::CircuitOpen(e)
    }
}

/// The header [`Middleware`] sends the call's idempotency key in, unless
/// told otherwise.
///
/// ```
/// assert_eq!(resilient_core::http::IDEMPOTENCY_KEY.as_str(), "idempotency-key");
/// ```
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// A [`reqwest_middleware`] middleware that retries each request with a
/// [`RetryPolicy`], honours `Retry-After`, sends the call's idempotency key
/// in a header, and feeds a circuit breaker: the engines of `#[retry]` and
/// `#[circuit_breaker]`, with the same figures and events, listed under
/// its name.
///
/// A response with a transient status (see the [module](self)) is
/// retried; when the retries run out it is returned as it was. A request
/// whose body cannot be cloned (a stream) is sent once. The key is the
/// one of the annotated call the request is made in (see
/// [`attempt()`](crate::attempt())), so retries at both levels send the
/// same key; outside one, each request draws its own.
///
/// ```
/// use std::time::Duration;
/// use resilient_core::http::Middleware;
/// use resilient_core::{BreakerConfig, RetryConfig};
///
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(
///         Middleware::new("ocr_api")
///             .retry(RetryConfig::new().max_retries(3).timeout(Duration::from_secs(10)).build().unwrap())
///             .circuit_breaker(BreakerConfig::new().threshold(5).build().unwrap()),
///     )
///     .build();
/// # let _ = client;
/// ```
#[derive(Debug, Clone)]
pub struct Middleware {
    policy: RetryPolicy,
    metrics: Arc<Metrics>,
    breaker: Option<Arc<CircuitBreaker>>,
    header: Option<HeaderName>,
    name: Name,
}

impl Middleware {
    /// A middleware named `name` (for its figures, breaker and events)
    /// retrying with the default [`RetryPolicy`], no breaker, and the key
    /// in `Idempotency-Key`.
    pub fn new(name: impl Into<Name>) -> Self {
        let name = name.into();
        Middleware {
            policy: RetryPolicy::DEFAULT,
            metrics: Metrics::shared(name.clone()),
            breaker: None,
            header: Some(IDEMPOTENCY_KEY),
            name,
        }
    }

    /// Retries with `policy`.
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sends each attempt through a circuit breaker with `policy`, listed
    /// under the middleware's name.
    #[must_use]
    pub fn circuit_breaker(mut self, policy: BreakerPolicy) -> Self {
        self.breaker = Some(CircuitBreaker::shared(self.name.clone(), policy));
        self
    }

    /// Sends the idempotency key in `header` instead, or in none.
    #[must_use]
    pub fn idempotency_header(mut self, header: Option<HeaderName>) -> Self {
        self.header = header;
        self
    }

    /// The breaker, when there is one.
    pub fn breaker(&self) -> Option<&CircuitBreaker> {
        self.breaker.as_deref()
    }

    /// The figures of the requests sent through it.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// The errors a middleware chain returns: reqwest's by their kind, ours
/// (a timeout, a refusal) by their chain.
struct MiddlewareErrors;

impl Classify<reqwest_middleware::Error> for MiddlewareErrors {
    fn classify(&self, error: &reqwest_middleware::Error) -> Verdict {
        match error {
            reqwest_middleware::Error::Reqwest(e) => crate::ByTransient.classify(e),
            reqwest_middleware::Error::Middleware(e) => crate::classify::chain_verdict(&**e),
        }
    }
}

/// Responses with a transient status are retried.
struct Unavailable;

impl ClassifyResult<Response> for Unavailable {
    fn classify_result(&self, response: &Response) -> Verdict {
        Verdict {
            retry: is_transient_status(response.status()),
            retry_after: retry_after(response.headers()),
        }
    }
}

fn middleware_error<E: std::error::Error + Send + Sync + 'static>(
    e: E,
) -> reqwest_middleware::Error {
    reqwest_middleware::Error::middleware(e)
}

type Sent<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = reqwest_middleware::Result<Response>> + Send + 'a>,
>;

impl Middleware {
    /// `send` through the breaker, when there is one.
    fn guard<'a>(&'a self, send: Sent<'a>) -> Sent<'a> {
        match &self.breaker {
            Some(breaker) => Box::pin(
                BreakerCall::new(
                    breaker,
                    crate::fallback::always,
                    Some(&self.metrics),
                    middleware_error,
                    send,
                )
                .refusing(&Unavailable),
            ),
            None => send,
        }
    }
}

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for Middleware {
    async fn handle(
        &self,
        mut request: Request,
        extensions: &mut ::http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        if let Some(header) = &self.header {
            let key = attempt().map_or_else(fresh_key, |a| a.idempotency_key());
            let value = HeaderValue::from_str(&key.to_string()).expect("hex digits");
            request.headers_mut().insert(header.clone(), value);
        }
        let mut call = Call::new(&self.metrics);
        let mut retry = Retrying::new(&self.policy, &mut call);
        let out = loop {
            let Some(copy) = request.try_clone() else {
                // A streamed body cannot be sent twice: one attempt.
                let sent = self.guard(Box::pin(next.clone().run(request, extensions)));
                break retry.attempt(&mut call, middleware_error, sent).await;
            };
            let sent = self.guard(Box::pin(next.clone().run(copy, extensions)));
            let out = retry.attempt(&mut call, middleware_error, sent).await;
            match retry.after_checked(&mut call, out, &MiddlewareErrors, &Unavailable, |e| e) {
                Step::Done(out) => break out,
                Step::Retry(delay) => crate::timer::sleep(delay).await,
                Step::Heal(_) | Step::Next => unreachable!("a retry only retries or ends"),
            }
        };
        call.finish_showing(&out, |e| e);
        out
    }
}
