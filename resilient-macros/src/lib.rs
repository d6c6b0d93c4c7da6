//! The attributes of [`resilient`](https://docs.rs/resilient). Depend on
//! `resilient`, not on this crate: the expansions call `resilient`'s runtime,
//! and this documentation is shown there.
#![forbid(unsafe_code)]

mod args;
mod expand;
mod item;
mod retry;
mod timeout;
mod transient;

use proc_macro::TokenStream;

use expand::Kind;

/// Retries an `async fn` returning `Result<T, E>` when it fails with a
/// transient error, waiting longer between attempts.
///
/// ```
/// use std::time::Duration;
/// use resilient::{retry, Transient};
///
/// #[derive(Debug, Transient)]
/// enum OcrError {
///     #[transient] Unavailable,
///     #[transient] RateLimited { #[retry_after] wait: Duration },
///     #[permanent] BadImage,
/// }
/// # impl std::fmt::Display for OcrError {
/// #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{self:?}") }
/// # }
///
/// #[retry(max = 3, backoff = 2.0, jitter)]
/// async fn read_receipt(image: &[u8]) -> Result<String, OcrError> {
///     // ... call the OCR service
/// #   if image.is_empty() { return Err(OcrError::BadImage) }
///     Ok("TOTAL 12.50".into())
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// # assert!(read_receipt(b"png").await.is_ok());
/// # }
/// ```
///
/// The function keeps its signature, attributes, documentation and
/// visibility; only its body is wrapped. Each attempt runs the body again:
/// owned arguments are cloned for each attempt (so they must be `Clone`;
/// take a reference otherwise), references and `Copy` values are passed as
/// they are, and an `impl Trait` argument without a `Clone` bound is lent.
/// A `Send` body gives a `Send` future.
///
/// # Which errors are retried
/// Those whose [`Transient`] impl says so: derive it with
/// `#[derive(Transient)]`, implement it by hand, or pass `retry_if`.
/// Permanent errors (bad credentials, invalid input, not found) are
/// returned at once. A [`Transient::retry_after`] hint (an HTTP 429's
/// `Retry-After`) replaces the backoff delay when longer, with any jitter
/// on top of it; a hint longer than `max_delay`, or than what is left of the
/// `deadline`, ends the retries at once. When the attempts run out, the last
/// error is returned unchanged. `E` must implement `Display`, for the
/// `tracing` events.
///
/// # Arguments
/// All are optional.
///
/// | argument | meaning | default |
/// |---|---|---|
/// | `max = N` | retries after the first attempt: `max = 3` makes at most 4 attempts (as Polly's `RetryCount` and the tutorial's `max_retries`) | 3 |
/// | `attempts = N` | attempts counting the first; instead of `max` | 4 |
/// | `backoff = 2.0` or `"100ms"` | the first delay, in seconds or as a duration string | `"100ms"` |
/// | `schedule = "exponential"` | `"exponential"` (`backoff × factor^n`), `"linear"` (`backoff × (n+1)`) or `"constant"` | exponential |
/// | `factor = 2.0` | growth of the exponential schedule, at least 1.0 | 2.0 |
/// | `max_delay = "30s"` | the longest delay, jitter included | `"30s"` |
/// | `jitter` or `jitter = "full"` | random spread: `"full"` (uniform in `[0, d]`), `"equal"` (`[d/2, d]`), `"decorrelated"`, `"none"` | none |
/// | `timeout = "30s"` | a time limit per attempt | none |
/// | `timeout_factor = 2.0` | growth of the per-attempt limit: 30 s, 60 s, 120 s | 1.0 |
/// | `deadline = "2m"` | a budget for the whole call; no delay sleeps past it and the last attempt is cut at it | none |
/// | `retry_if = path` | a `fn(&E) -> bool` deciding what is retried, instead of [`Transient`] | |
/// | `crate = "path"` | where `resilient` is, for crates that re-export it | `"::resilient"` |
///
/// Durations are strings such as `"250ms"`, `"30s"`, `"2m"`, `"1h 30m"`,
/// or numbers of seconds. With `timeout` or `deadline`, an attempt that runs
/// out of time fails with `E::from(TimedOut)`, so `E` needs
/// `From<resilient::TimedOut>`.
///
/// Every value is checked at compile time: an unknown or repeated argument,
/// a zero or negative count, a `factor` below 1, a `max_delay` below the
/// `backoff`, a duration that does not parse, or `max` with `attempts` is an
/// error at the offending token.
///
/// # Inside the body
/// [`attempt()`] tells the attempt number and an idempotency key that stays
/// the same across the attempts of one call, to send with each request:
///
/// ```
/// # use resilient::retry;
/// #[retry(max = 2)]
/// async fn charge(cents: u64) -> std::io::Result<String> {
///     let attempt = resilient::attempt().expect("inside a retried call");
///     let key = attempt.idempotency_key(); // same on every attempt of this call
///     Ok(format!("charge {cents} with Idempotency-Key {key}, attempt {}", attempt.number()))
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() { charge(5).await.unwrap(); }
/// ```
///
/// # Stacking
/// With `#[timeout]` on the same function, whatever the order written, the
/// timeout bounds each attempt: `retry(timeout(body))`.
///
/// # Metrics and tracing
/// Each function counts its calls, successes, failures, attempts, retries and
/// timeouts (see [`metrics`]), and emits `tracing` events under the target
/// `resilient` with a `function` field: each attempt (trace), each retry
/// with its delay and error (info), and giving up with the reason (warn).
///
/// [`Transient`]: ../resilient/trait.Transient.html
/// [`Transient::retry_after`]: ../resilient/trait.Transient.html#method.retry_after
/// [`attempt()`]: ../resilient/fn.attempt.html
/// [`metrics`]: ../resilient/metrics/index.html
#[proc_macro_attribute]
pub fn retry(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::Retry, args.into(), item.into()).into()
}

/// Bounds an `async fn` returning `Result<T, E>` in time: when the limit
/// passes, the call is dropped and returns `Err(E::from(TimedOut))`.
///
/// ```
/// use resilient::{timeout, TimedOut};
///
/// #[derive(Debug)]
/// enum LlmError { TimedOut(TimedOut) }
///
/// impl From<TimedOut> for LlmError {
///     fn from(t: TimedOut) -> Self { LlmError::TimedOut(t) }
/// }
///
/// #[timeout("30s")]
/// async fn generate(prompt: &str) -> Result<String, LlmError> {
///     tokio::time::sleep(std::time::Duration::from_secs(45)).await; // too slow
///     Ok(prompt.to_uppercase())
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// assert!(matches!(generate("hi").await, Err(LlmError::TimedOut(_))));
/// # }
/// ```
///
/// The limit is a duration string (`"500ms"`, `"30s"`, `"2m"`) or a number
/// of seconds, given alone or as `duration = ...`; `crate = "path"` points
/// at a re-export of `resilient`. `E` needs `From<resilient::TimedOut>`,
/// which `std::io::Error` has. [`TimedOut`] is transient, so a `#[retry]` on
/// the same function retries a timed-out attempt: stacked with `#[retry]`,
/// in either order, the limit applies to each attempt.
///
/// [`TimedOut`]: ../resilient/struct.TimedOut.html
#[proc_macro_attribute]
pub fn timeout(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::Timeout, args.into(), item.into()).into()
}

/// Implements [`Transient`] for an error enum (or struct) from marks on its
/// variants.
///
/// - `#[transient]`: worth retrying; `#[permanent]`: never retried.
/// - `#[delegate]` on a variant with one field: that field's own
///   `Transient` impl decides (for a wrapped `std::io::Error`, say).
/// - `#[retry_after]` on a `Duration` or `Option<Duration>` field of a
///   transient variant: the wait the service asked for.
/// - `#[transient]` or `#[permanent]` on the enum itself sets the default
///   for unmarked variants; without it, an unmarked variant is an error.
/// - `#[resilient(crate = "path")]` points at a re-export of `resilient`.
///
/// ```
/// use std::time::Duration;
/// use resilient::Transient;
///
/// #[derive(Debug, Transient)]
/// #[permanent]
/// enum ApiError {
///     #[transient] Timeout,
///     #[transient] RateLimited { #[retry_after] retry_after: Duration },
///     #[delegate] Io(std::io::Error),
///     Unauthorized,
///     NotFound,
/// }
///
/// let limited = ApiError::RateLimited { retry_after: Duration::from_secs(5) };
/// assert!(limited.is_transient());
/// assert_eq!(limited.retry_after(), Some(Duration::from_secs(5)));
/// assert!(!ApiError::Unauthorized.is_transient());
/// ```
///
/// [`Transient`]: ../resilient/trait.Transient.html
#[proc_macro_derive(
    Transient,
    attributes(transient, permanent, delegate, retry_after, resilient)
)]
pub fn derive_transient(input: TokenStream) -> TokenStream {
    transient::derive(input.into()).into()
}
