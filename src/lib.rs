//! Retries, circuit breakers, timeouts and error classification for async
//! Rust, checked at compile time.
//!
//! Annotate an `async fn` that returns `Result` and it survives the
//! failures of the services it calls:
//!
//! ```
//! use resilient_async::{circuit_breaker, retry, timeout, CircuitOpen, TimedOut, Transient};
//!
//! #[derive(Debug, Transient)]
//! enum VisionError {
//!     #[transient] Unavailable,
//!     #[transient] TimedOut(TimedOut),
//!     #[delegate] Open(CircuitOpen),
//!     #[permanent] Unauthorized,
//! }
//! # impl std::fmt::Display for VisionError {
//! #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{self:?}") }
//! # }
//! impl From<TimedOut> for VisionError {
//!     fn from(t: TimedOut) -> Self { VisionError::TimedOut(t) }
//! }
//! impl From<CircuitOpen> for VisionError {
//!     fn from(o: CircuitOpen) -> Self { VisionError::Open(o) }
//! }
//!
//! #[retry(max = 3, backoff = 2.0, jitter)]                 // 2 s, 4 s, 8 s, with full jitter
//! #[circuit_breaker(threshold = 5, cooldown = "60s")]       // stop calling a dead service
//! #[timeout("30s")]                                        // per attempt
//! async fn gpt4_vision(receipt: &[u8]) -> Result<String, VisionError> {
//!     Ok(format!("{} bytes read", receipt.len()))
//! }
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! # assert!(gpt4_vision(b"jpeg").await.is_ok());
//! # }
//! ```
//!
//! - [`#[retry]`](macro@retry): retries transient errors with exponential backoff, jitter,
//!   per-attempt timeouts and a deadline.
//! - [`#[circuit_breaker]`](macro@circuit_breaker): fails fast while a
//!   service is down, and probes after a cooldown.
//! - [`#[timeout]`](macro@timeout): bounds a call in time.
//! - [`#[fallback]`](macro@fallback): calls alternatives in order when the
//!   function fails, and counts which tier served and what it cost.
//! - [`#[self_heal]`](macro@self_heal): diagnoses a failure, runs a remedy,
//!   and tries again.
//! - [`batch`]: a list of inputs through an async function with bounded
//!   concurrency, keeping what succeeded and what failed.
//! - [`policy`] and [`executor`]: recovery settings built in code or loaded
//!   from a TOML file (feature `policy-files`), and tools run by name with
//!   them.
//! - [`Transient`]: says which errors are worth retrying; derive it.
//! - [`metrics`]: calls, successes, attempts and retries per function.
//! - [`registry`]: every annotated function's figures, breaker, chain and
//!   healer, listed when the program is linked and found by
//!   `module::function` (or a bare name while unambiguous) with the same
//!   `get` and `all` in each module: [`metrics::get`],
//!   [`circuit_breaker::get`], [`fallback::get`], [`heal::get`].
//! - [`RetryPolicy`] and [`CircuitBreaker`]: the same engines without the
//!   attributes.
//! - [`timer`]: the timer the engines wait with (Tokio's, or another
//!   executor's).
//! - `tower` (feature `tower`): the same engines as tower `Layer`s.
//! - `http` (feature `reqwest`): an error type for reqwest calls under
//!   every attribute, `Retry-After`, and a reqwest-middleware middleware.
//! - Feature `anyhow`: `anyhow::Error` is [`Transient`]; feature `metrics`:
//!   every figure through the `metrics` facade, and a `tracing` span per
//!   call.
//!
//! # One composition order
//!
//! Several attributes on one function always nest the same way, whatever the
//! order they are written in:
//!
//! ```text
//! #[fallback]        ┌──────────────────────────────────────────────────────┐
//!                    │ primary ─ fails ─▶ alternative 1 ─ fails ─▶ alt. 2 … │
//! #[self_heal]       │ ┌──────────────────────────────────────────────────┐ │
//!                    │ │ round ─ fails ─▶ diagnose, remedy ─▶ round …     │ │
//! #[retry]           │ │ ┌──────────────────────────────────────────────┐ │ │
//!                    │ │ │ attempt ─ transient error ─▶ backoff ─▶ …     │ │ │
//! #[circuit_breaker] │ │ │ ┌──────────────────────────────────────────┐ │ │ │
//!                    │ │ │ │ admit or refuse (CircuitOpen); count     │ │ │ │
//! #[timeout]         │ │ │ │ ┌──────────────────────────────────────┐ │ │ │ │
//!                    │ │ │ │ │ the body, cut at the time limit      │ │ │ │ │
//!                    └─┴─┴─┴─┴──────────────────────────────────────┴─┴─┴─┴─┘
//! ```
//!
//! So the breaker sees every attempt and counts a timed-out one as a
//! failure; the retries of one round all happen before a heal; and a
//! fallback runs only when everything inside is exhausted.
//!
//! Every argument is checked when the code compiles: a misspelt key, a
//! zero count or a duration like `"60x"` is a compile error at that token.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
#[doc(inline)]
pub use resilient_core::http;
#[doc(inline)]
pub use resilient_core::timer;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
#[doc(inline)]
pub use resilient_core::tower;
#[doc(inline)]
pub use resilient_core::{
    attempt, seed_jitter, AcceptAll, Attempt, Batch, BreakerConfig, BreakerPolicy, ByTransient,
    CircuitBreaker, CircuitOpen, Classify, ClassifyResult, ConfigError, Handle, Heal, HealConfig,
    HealPolicy, IdempotencyKey, ItemError, Jitter, Name, ResultVerdict, RetryConfig, RetryIf,
    RetryOn, RetryPolicy, Schedule, TimedOut, Transient, Verdict, WithHints,
};
#[doc(inline)]
pub use resilient_core::{
    batch, circuit_breaker, executor, fallback, heal, metrics, policy, registry, retry, timeout,
};
#[doc(inline)]
pub use resilient_macros::{circuit_breaker, fallback, retry, self_heal, timeout, Transient};

/// What the attributes' expansions call; not a public API.
#[doc(hidden)]
pub use resilient_core::private as __private;

/// The README's examples, compiled and run as doctests, so that an example
/// and the figures it asserts cannot drift from the code. They use every
/// feature, as the README's test command does.
#[cfg(all(
    doctest,
    feature = "anyhow",
    feature = "reqwest",
    feature = "tower",
    feature = "metrics",
    feature = "policy-files"
))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
