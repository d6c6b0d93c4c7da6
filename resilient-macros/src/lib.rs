//! The attributes of [`resilient`](https://docs.rs/resilient-async). Depend on
//! `resilient`, not on this crate: the expansions call `resilient`'s runtime,
//! and this documentation is shown there.
#![forbid(unsafe_code)]

mod args;
mod circuit_breaker;
mod expand;
mod fallback;
mod heal;
mod item;
mod layers;
mod retry;
mod timeout;
mod transient;

use proc_macro::TokenStream;

use layers::Kind;

/// Retries an `async fn` returning `Result<T, E>` when it fails with a
/// transient error, waiting longer between attempts.
///
/// ```
/// use std::time::Duration;
/// use resilient_async::{retry, Transient};
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
/// `Box<dyn Error + Send + Sync>` and `anyhow::Error` (feature `anyhow`)
/// implement it by their chain of causes: a [`CircuitOpen`], a
/// [`TimedOut`] or an `io::Error` found in the chain decides, and an error
/// nothing there explains is transient. A `retry_if` predicate decides
/// what is retried, and the error's own hints (its `retry_after`, a
/// breaker's cooldown) still set the least wait when it is `Transient`.
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
/// | `max = N` | retries after the first attempt: `max = 3` makes at most 4 attempts (as Polly's `RetryCount` and the tutorial's `ErrorRecoveryPolicy.max_retries`; the tutorial's loops, `for attempt in range(n)`, make `n` attempts in all: write `attempts = n` for those); `max = 0` makes one, for a policy that only falls back | 3 |
/// | `attempts = N` | attempts counting the first; instead of `max` | 4 |
/// | `backoff = 2.0` or `"100ms"` | the first delay, in seconds or as a duration string | `"100ms"` |
/// | `schedule = "exponential"` | `"exponential"` (`backoff × factor^n`), `"linear"` (`backoff × (n+1)`) or `"constant"` | exponential |
/// | `factor = 2.0` | growth of the exponential schedule, at least 1.0 | 2.0 |
/// | `max_delay = "30s"` | the longest delay, jitter included | `"30s"` |
/// | `jitter` or `jitter = "full"` | random spread of a delay `d`: `"full"` (uniform in `[0, d]`), `"equal"` (`[d/2, d]`), `"additive"` (`[d, 1.5 d]`, the tutorial's `base + uniform(0, base/2)`), `"decorrelated"`, `"none"` | none |
/// | `timeout = "30s"` | a time limit per attempt | none |
/// | `timeout_factor = 2.0` | growth of the per-attempt limit: 30 s, 60 s, 120 s | 1.0 |
/// | `deadline = "2m"` | a budget for the whole call; no delay sleeps past it and the last attempt is cut at it | none |
/// | `retry_if = path` | a `fn(&E) -> bool` deciding what is retried, instead of [`Transient`] | |
/// | `retry_on = path` | a check of successful results: a `fn(&T) -> bool`, or `fn(&T) -> Option<Duration>` to give a wait (a 503's `Retry-After`); a refused result is retried, counted as a failed attempt by the figures and the circuit breaker, and returned as it was when the retries run out | |
/// | `policy = "ocr"` | take every setting from the loaded policy file's `[ocr.retry]`, read on each call (see [`policy`]); not with the settings above | |
/// | `crate = "path"` | where `resilient_async` is, for crates that re-export it | `"::resilient_async"` |
///
/// Through a re-export, write `crate = "my_crate::reexport"` on the
/// attribute and use it as `#[reexport::retry(...)]`: siblings whose path
/// ends the `crate` path are recognised and stacked in the canonical order.
///
/// Durations are strings such as `"250ms"`, `"30s"`, `"2m"`, `"1h 30m"`,
/// or numbers of seconds. With `timeout` or `deadline`, an attempt that runs
/// out of time fails with `E::from(TimedOut)`, so `E` needs
/// `From<resilient_async::TimedOut>`.
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
/// # use resilient_async::retry;
/// #[retry(max = 2)]
/// async fn charge(cents: u64) -> std::io::Result<String> {
///     let attempt = resilient_async::attempt().expect("inside a retried call");
///     let key = attempt.idempotency_key(); // same on every attempt of this call
///     Ok(format!("charge {cents} with Idempotency-Key {key}, attempt {}", attempt.number()))
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() { charge(5).await.unwrap(); }
/// ```
///
/// # Stacking
/// Our attributes on one function compose in one order, whatever the order
/// written: `fallback(self_heal(retry(circuit_breaker(timeout(body)))))`
/// (the picture is in the crate docs). The timeout bounds each attempt, and
/// the breaker sees each attempt; an attempt it refuses fails
/// with [`CircuitOpen`], whose wait until the next probe is a `Retry-After`:
/// the retry sleeps through the cooldown when that fits `max_delay` and the
/// `deadline`, and gives up at once when it does not.
///
/// # Metrics and tracing
/// Each function counts its calls, successes, failures, attempts, retries and
/// timeouts (see [`metrics`]), and emits `tracing` events under the target
/// `resilient` with a `function` field: each attempt (trace), each retry
/// with its delay and error (info), and giving up with the reason (warn).
///
/// [`Transient`]: ../resilient_async/trait.Transient.html
/// [`Transient::retry_after`]: ../resilient_async/trait.Transient.html#method.retry_after
/// [`CircuitOpen`]: ../resilient_async/struct.CircuitOpen.html
/// [`TimedOut`]: ../resilient_async/struct.TimedOut.html
/// [`policy`]: ../resilient_async/policy/index.html
/// [`attempt()`]: ../resilient_async/fn.attempt.html
/// [`metrics`]: ../resilient_async/metrics/index.html
#[proc_macro_attribute]
pub fn retry(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::Retry, args.into(), item.into()).into()
}

/// Stops calling a service that keeps failing: after `threshold`
/// consecutive failures the breaker opens, and calls fail at once with
/// `Err(E::from(CircuitOpen))` without running the body. After `cooldown`, a
/// probe call runs; its success closes the breaker, its failure opens it
/// again.
///
/// ```
/// use resilient_async::{circuit_breaker, CircuitOpen, Transient};
///
/// #[derive(Debug, Transient)]
/// enum OcrError {
///     #[transient] Unavailable,
///     #[delegate] Open(CircuitOpen), // transient, with the cooldown as `retry_after`
/// }
/// impl From<CircuitOpen> for OcrError {
///     fn from(o: CircuitOpen) -> Self { OcrError::Open(o) }
/// }
///
/// #[circuit_breaker(threshold = 5, cooldown = "60s")]
/// async fn gpt4_vision(receipt: &[u8]) -> Result<String, OcrError> {
///     Err(OcrError::Unavailable) // the service is down
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// for _ in 0..5 {
///     assert!(matches!(gpt4_vision(b"jpeg").await, Err(OcrError::Unavailable)));
/// }
/// // Open: refused at once for the next 60 s.
/// assert!(matches!(gpt4_vision(b"jpeg").await, Err(OcrError::Open(_))));
/// let breaker = resilient_async::circuit_breaker::get("gpt4_vision").unwrap();
/// assert_eq!(breaker.snapshot().rejections, 1);
/// # }
/// ```
///
/// ```text
///  CLOSED ── threshold failures in a row, or failure_rate ──▶ OPEN ◀─────────┐
///    ▲                                                         │ cooldown     │ a probe
///    └──────────── close_after probe successes ─────────── HALF_OPEN ─────────┘ fails
/// ```
///
/// # Arguments
/// All are optional.
///
/// | argument | meaning | default |
/// |---|---|---|
/// | `threshold = N` | consecutive failures that open the breaker | 5 |
/// | `cooldown = "60s"` | how long it stays open before a probe | `"60s"` |
/// | `half_open = N` | probes admitted after the cooldown; other calls are refused meanwhile | 1 |
/// | `close_after = N` | probe successes that close it (at most `half_open`); any probe failure re-opens it | 1 |
/// | `failure_rate = 0.5` | open on a share of failures instead of a count, in (0, 1]; not with `threshold` | |
/// | `window = 100` or `"30s"` | the last N calls, or the calls of a stretch of time, that the rate is measured over | 100 calls |
/// | `min_calls = N` | calls the window must hold before the rate counts (at most a count window) | 10 |
/// | `slow_call = "2s"` | a call slower than this counts as a failure (a slow probe too) | none |
/// | `slow_rate = 0.8` | with `failure_rate`: slow calls get a threshold of their own instead | |
/// | `max_cooldown = "10m"` | the cooldown doubles on each failed probe, up to this | no growth |
/// | `cooldown_jitter = 0.2` | spreads each cooldown over `× (1 ± 0.2)`, so a fleet does not probe in lockstep | 0 |
/// | `record_if = path` | a `fn(&E) -> bool`: which errors count as failures; the others count as successes | every error |
/// | `name = "ocr"` | a breaker shared by every function with that name | one per function |
/// | `key = expr` | one breaker per value of `expr` (a host, a tenant); `expr` may use the arguments and must be `Hash`; not with `name` | |
/// | `max_keys = N` | with `key`: the most breakers kept; a closed one not used since the last eviction goes first | 1024 |
/// | `crate = "path"` | where `resilient_async` is, for crates that re-export it | `"::resilient_async"` |
///
/// Every value is checked at compile time: an unknown or repeated argument,
/// a zero count, a rate outside its range, `threshold` with `failure_rate`,
/// `window` or `min_calls` without `failure_rate`, a `min_calls` above the
/// window, `close_after` above `half_open`, or a `max_cooldown` below the
/// `cooldown` is an error at the offending token.
///
/// # Sharing
/// By default one breaker serves every call of the function, from every task
/// and thread, and every instantiation of a generic function (it lives in a
/// `static`, listed when the program is linked). Find it before its first
/// call with [`circuit_breaker::get`]`("module::function")` (or the bare
/// function name while no other listed breaker has it), to
/// [`isolate`], [`reset`], [`force_open`] or [`subscribe`] to it by hand.
/// A `name = "ocr"` breaker is found as `"ocr"`, and is never a function's
/// own breaker, even one of the same name. `key = expr` breakers are read
/// with [`circuit_breaker::keyed`].
///
/// # The error type
/// `E` needs `From<resilient_async::CircuitOpen>`. Give it a variant holding the
/// `CircuitOpen`, marked `#[delegate]` with `#[derive(Transient)]`: a
/// refusal is then transient with the wait until the next probe as its
/// `retry_after`, which a `#[retry]` above the breaker honours.
///
/// # Stacking
/// `fallback(self_heal(retry(circuit_breaker(timeout(body)))))`, whatever
/// the order written: the breaker sees each attempt, and a timed-out attempt
/// is a failure.
///
/// # Metrics and tracing
/// Every transition is a `tracing` event under the target `resilient` with a
/// `breaker` field (opened: warn; half-open and closed: info); refusals are
/// counted in the function's [`metrics`] as `rejections`, and the breaker's
/// own figures (calls, failures, slow calls, rejections, transitions) are in
/// its [`snapshot`].
///
/// [`circuit_breaker::get`]: ../resilient_async/circuit_breaker/fn.get.html
/// [`circuit_breaker::keyed`]: ../resilient_async/circuit_breaker/fn.keyed.html
/// [`isolate`]: ../resilient_async/circuit_breaker/struct.CircuitBreaker.html#method.isolate
/// [`reset`]: ../resilient_async/circuit_breaker/struct.CircuitBreaker.html#method.reset
/// [`force_open`]: ../resilient_async/circuit_breaker/struct.CircuitBreaker.html#method.force_open
/// [`subscribe`]: ../resilient_async/circuit_breaker/struct.CircuitBreaker.html#method.subscribe
/// [`snapshot`]: ../resilient_async/circuit_breaker/struct.CircuitBreaker.html#method.snapshot
/// [`metrics`]: ../resilient_async/metrics/index.html
#[proc_macro_attribute]
pub fn circuit_breaker(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::CircuitBreaker, args.into(), item.into()).into()
}

/// Calls alternatives in order when the function fails, with the same
/// arguments, and returns the first success: primary → secondary →
/// tertiary.
///
/// ```
/// use resilient_async::{fallback, retry};
///
/// async fn claude(receipt: &[u8]) -> std::io::Result<String> {
///     Err(std::io::ErrorKind::ConnectionRefused.into()) // down too
/// }
/// async fn local_ocr(receipt: &[u8]) -> std::io::Result<String> {
///     Ok(format!("{} bytes, read locally", receipt.len()))
/// }
///
/// #[fallback(claude = 0.015, local_ocr = 0.001, cost = 0.03)]
/// #[retry(max = 1, backoff = "10ms")]
/// async fn gpt4_vision(receipt: &[u8]) -> std::io::Result<String> {
///     Err(std::io::ErrorKind::ConnectionReset.into())
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// assert_eq!(gpt4_vision(b"jpeg").await.unwrap(), "4 bytes, read locally");
/// let chain = resilient_async::fallback::get("gpt4_vision").unwrap().snapshot();
/// assert_eq!(chain.tiers[2].served, 1);
/// assert_eq!(chain.spent(), 0.001);
/// # }
/// ```
///
/// - Alternatives are paths to `async fn`s with the same parameters and
///   output; in a method, a bare name is another method of `Self`. A
///   mismatched signature is a type error at the alternative's name.
/// - Each tier gets the call's arguments again: references and `&mut`
///   (reborrowed) as they are; owned arguments are cloned for every tier but
///   the last, which takes the original, so they must be `Clone`.
/// - The primary is the function with its other attributes: the fallback
///   runs only once its retries, breaker and heal rounds are exhausted.
/// - `when = path`: a `fn(&E) -> bool` deciding which errors move on to the
///   next tier (default: all). When every tier fails, the last error is
///   returned.
/// - `name = cost` gives a tier's cost per call served (`cost = 0.03` the
///   primary's), and `name(cost = 0.05, accuracy = 0.95)` its share of good
///   answers too (`accuracy = 0.99` the primary's), so [`fallback::get`]
///   reports spending and the accuracy to expect, as the tutorial's model
///   table does. Every tier failure is a `tracing` warning.
/// - The idempotency key of the call goes on into each tier (and the first
///   annotated call it makes), so a service sees one request retried, not
///   a new one.
///
/// [`fallback::get`]: ../resilient_async/fallback/fn.get.html
#[proc_macro_attribute]
pub fn fallback(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::Fallback, args.into(), item.into()).into()
}

/// On failure, asks a diagnoser what went wrong; it may run a remedy
/// (re-encode a file, refresh a token, reconnect, clean up an image) and
/// decides: retry now, retry after a delay, or give up. Then the body runs
/// again, up to `max` heal rounds.
///
/// ```
/// use resilient_async::{self_heal, Heal};
///
/// #[derive(Debug)]
/// enum OcrError { PoorImage, Encoding }
/// # impl std::fmt::Display for OcrError {
/// #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{self:?}") }
/// # }
///
/// async fn diagnose(error: &OcrError, image: &Vec<u8>) -> Heal {
///     match error {
///         OcrError::PoorImage => Heal::Retry, // e.g. preprocess the image first
///         OcrError::Encoding => Heal::GiveUp,
///     }
/// }
///
/// #[self_heal(diagnoser = diagnose, max = 2)]
/// async fn read_receipt(image: Vec<u8>) -> Result<String, OcrError> {
///     static TRIES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
///     match TRIES.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
///         0 => Err(OcrError::PoorImage),
///         _ => Ok(format!("{} bytes read", image.len())),
///     }
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// assert_eq!(read_receipt(vec![0; 3]).await.unwrap(), "3 bytes read");
/// assert_eq!(resilient_async::heal::get("read_receipt").unwrap().snapshot().healed, 1);
/// # }
/// ```
///
/// | argument | meaning | default |
/// |---|---|---|
/// | `diagnoser = path` | an `async fn(&E, &A, &B, ...) -> resilient_async::Heal`: the error, then each argument by reference (after `&self`, in a method, where a bare name is a method of `Self`) | required |
/// | `max = N` | heal rounds at most | 2 |
/// | `backoff = "100ms"` | wait before round n: `backoff × 2^n`, or longer if the diagnoser says `Heal::RetryAfter` | `"100ms"` |
/// | `timeout = "10s"` | a limit on each diagnosis (and on the wait for another call's); the call's `deadline` bounds it too | none |
/// | `then = retry(attempts = 3, backoff = "500ms")` | the tutorial's shape: one diagnosis, then the original call again at once and on this retry schedule (`#[retry]`'s keys for a schedule), without diagnosing again; not with `max` or `backoff` | |
/// | `crate = "path"` | where `resilient_async` is | `"::resilient_async"` |
///
/// One remedy runs at a time per function: calls that fail while another
/// call's remedy runs wait for it and share its decision (its
/// `RetryAfter`, or its `GiveUp`), so ten failing callers reconnect once
/// and hear the outcome together. A diagnoser that panics, or whose call is
/// dropped, hands the slot to the next failing call. Each diagnosis and its
/// decision is a `tracing` event; [`heal::get`] counts heals attempted,
/// joined, that worked, and given up. Stacked with `#[retry]`, each heal
/// round runs the whole retry loop again; the attempt count and the
/// idempotency key go on across rounds.
///
/// [`heal::get`]: ../resilient_async/heal/fn.get.html
#[proc_macro_attribute]
pub fn self_heal(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::SelfHeal, args.into(), item.into()).into()
}

/// Bounds an `async fn` returning `Result<T, E>` in time: when the limit
/// passes, the call is dropped and returns `Err(E::from(TimedOut))`.
///
/// ```
/// use resilient_async::{timeout, TimedOut};
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
/// at a re-export of `resilient`. `E` needs `From<resilient_async::TimedOut>`,
/// which `std::io::Error` has. [`TimedOut`] is transient, so a `#[retry]` on
/// the same function retries a timed-out attempt: stacked with `#[retry]`,
/// in either order, the limit applies to each attempt.
///
/// [`TimedOut`]: ../resilient_async/struct.TimedOut.html
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
/// use resilient_async::Transient;
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
/// [`Transient`]: ../resilient_async/trait.Transient.html
#[proc_macro_derive(
    Transient,
    attributes(transient, permanent, delegate, retry_after, resilient)
)]
pub fn derive_transient(input: TokenStream) -> TokenStream {
    transient::derive(input.into()).into()
}

/// Every rule of the specs through the attribute's door: the same words
/// as the builders and policy files give (`resilient-core`'s
/// `tests/three_doors.rs` walks the other two).
#[cfg(test)]
mod three_doors {
    use proc_macro2::{Span, TokenStream};

    use crate::args::{self, Errors};

    fn errors_of(capability: &str, settings: &str) -> Vec<String> {
        let tokens: TokenStream = settings.parse().expect("the case parses as tokens");
        let list = args::parse_args(tokens).expect("the case parses as arguments");
        let mut errors = Errors::default();
        let span = Span::call_site();
        match capability {
            "retry" => drop(crate::retry::RetryArgs::parse(&list, span, &mut errors)),
            "circuit_breaker" => drop(crate::circuit_breaker::BreakerArgs::parse(
                &list,
                span,
                &mut errors,
            )),
            "self_heal" => drop(crate::heal::HealArgs::parse(&list, span, &mut errors)),
            "timeout" => drop(crate::timeout::TimeoutArgs::parse(&list, span, &mut errors)),
            other => panic!("no attribute for {other}"),
        }
        errors.messages()
    }

    #[test]
    fn every_rule_at_the_token() {
        for case in resilient_spec::cases::CASES {
            let expected = format!("`{}` {}", case.key, case.reason);
            let errors = errors_of(case.capability, case.settings);
            assert!(
                errors.contains(&expected),
                "#[{}({})]: expected {expected:?} among {errors:#?}",
                case.capability,
                case.settings
            );
        }
    }

    /// Every key with every extreme literal: an error or a value, never a
    /// panic (the expansion would be a crash of the compiler).
    #[test]
    fn extreme_literals_never_panic() {
        let literals = [
            "0",
            "1",
            "-1",
            "4294967295",
            "4294967296",
            "18446744073709551615",
            "99999999999999999999999",
            "1e300",
            "1e-300",
            "-0.0",
            "0.5",
            "-1e300",
            "\"0s\"",
            "\"1ns\"",
            "\"18446744073709551615s\"",
            "\"99999999999999999999h\"",
            "\"\"",
            "\" \"",
            "\"abc\"",
            "\"1x\"",
            "true",
            "path::to::f",
            "(1, 2)",
            "-\"1s\"",
        ];
        for (capability, keys) in [
            ("retry", resilient_spec::retry::KEYS),
            ("circuit_breaker", resilient_spec::circuit_breaker::KEYS),
            ("self_heal", resilient_spec::heal::KEYS),
            ("timeout", resilient_spec::timeout::KEYS),
        ] {
            for key in keys {
                for literal in literals {
                    let _ = errors_of(capability, &format!("{} = {literal}", key.name));
                    let _ = errors_of(capability, key.name);
                }
            }
        }
        for literal in literals {
            let _ = errors_of("timeout", literal);
        }
    }
}
