use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::RetryPolicy;
use crate::context::{Attempt, Scoped};
use crate::metrics::Metrics;
use crate::timeout::TimeLimit;
use crate::{rng, ByTransient, Classify, TimedOut, Transient, Verdict};

/// What to do after an attempt.
#[derive(Debug)]
pub enum Step<T, E> {
    /// Return this result to the caller.
    Done(Result<T, E>),
    /// Sleep this long, then make another attempt.
    Retry(Duration),
}

/// Why the retries ended with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GiveUp {
    Permanent,
    Exhausted,
    RetryAfterTooLong,
    Deadline,
}

impl GiveUp {
    fn as_str(self) -> &'static str {
        match self {
            GiveUp::Permanent => "permanent error",
            GiveUp::Exhausted => "retries exhausted",
            GiveUp::RetryAfterTooLong => "retry-after exceeds max_delay",
            GiveUp::Deadline => "deadline reached",
        }
    }
}

/// The state of one retried call: the loop in `#[retry]`'s expansion and in
/// [`RetryPolicy::run`] asks it what to do after each attempt.
///
/// ```
/// use resilient_core::retry::{Retrying, Step};
/// use resilient_core::{ByTransient, RetryConfig};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let policy = RetryConfig::new().build().unwrap();
/// let mut call = Retrying::new(&policy, "manual", None);
/// let mut failures = 2;
/// let result = loop {
///     let out = call
///         .attempt(async {
///             if failures > 0 {
///                 failures -= 1;
///                 Err(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
///             } else {
///                 Ok("done")
///             }
///         })
///         .await;
///     match call.after(out, &ByTransient) {
///         Step::Done(result) => break result,
///         Step::Retry(delay) => tokio::time::sleep(delay).await,
///     }
/// };
/// assert_eq!(result.unwrap(), "done");
/// # }
/// ```
#[derive(Debug)]
pub struct Retrying<'p> {
    policy: &'p RetryPolicy,
    name: &'static str,
    metrics: Option<&'static Metrics>,
    attempt: Attempt,
    previous_delay: Duration,
    deadline: Option<Instant>,
    /// Whether to count the call's outcome in `metrics` (not when an outer
    /// layer, a heal round or a fallback, counts the call once).
    outcomes: bool,
}

impl<'p> Retrying<'p> {
    /// Starts a call named `name` (for tracing), counted in `metrics`.
    #[inline]
    pub fn new(
        policy: &'p RetryPolicy,
        name: &'static str,
        metrics: Option<&'static Metrics>,
    ) -> Self {
        if let Some(m) = metrics {
            m.call_started();
        }
        Retrying {
            policy,
            name,
            metrics,
            attempt: Attempt::first(),
            previous_delay: policy.config.backoff,
            // A deadline too far off to represent is never reached: none.
            deadline: policy
                .config
                .deadline
                .and_then(|d| Instant::now().checked_add(d)),
            outcomes: true,
        }
    }

    /// Counts retries and timeouts but not the call's outcome, which an
    /// outer layer counts once (a `#[self_heal]` round or a `#[fallback]`
    /// runs the retry loop as one part of a call).
    #[doc(hidden)]
    pub fn without_outcomes(mut self) -> Self {
        self.outcomes = false;
        self
    }

    /// The attempt about to run or running.
    pub fn current(&self) -> Attempt {
        self.attempt
    }

    /// Runs one attempt, with [`attempt()`](crate::attempt()) telling its
    /// number and the call's idempotency key. No time limit applies: use
    /// [`attempt_timed`](Self::attempt_timed) when the policy has a `timeout`
    /// or a `deadline`.
    #[inline]
    pub fn attempt<F: Future>(&mut self, attempt: F) -> Scoped<'_, F> {
        self.trace_attempt();
        Scoped::new(&mut self.attempt, attempt)
    }

    // Not generic: one copy of the event per crate, not per function.
    #[inline]
    fn trace_attempt(&self) {
        tracing::trace!(target: "resilient", function = self.name, attempt = self.attempt.number(), "attempt");
    }

    /// Runs one attempt under the policy's per-attempt `timeout`, clamped to
    /// what is left of the `deadline`. An attempt that overruns it fails with
    /// `E::from(TimedOut)`.
    pub fn attempt_timed<F, T, E>(&mut self, attempt: F) -> TimeLimit<Scoped<'_, F>, E>
    where
        F: Future<Output = Result<T, E>>,
        E: From<TimedOut>,
    {
        self.attempt_timed_with(E::from, attempt)
    }

    /// [`attempt_timed`](Self::attempt_timed), turning a timeout into `E`
    /// with `convert`.
    pub(crate) fn attempt_timed_with<F, T, E>(
        &mut self,
        convert: fn(TimedOut) -> E,
        attempt: F,
    ) -> TimeLimit<Scoped<'_, F>, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        let (name, metrics, limit) = (self.name, self.metrics, self.attempt_limit());
        TimeLimit::new(limit, name, metrics, convert, self.attempt(attempt))
    }

    fn attempt_limit(&self) -> Option<Duration> {
        let per_attempt = self.policy.attempt_timeout(self.attempt.number() - 1);
        let left = self
            .deadline
            .map(|d| d.saturating_duration_since(Instant::now()));
        match (per_attempt, left) {
            (Some(a), Some(l)) => Some(a.min(l)),
            (a, l) => a.or(l),
        }
    }

    /// Decides what follows an attempt's result: return it, or retry after a
    /// delay. Counts the outcome and emits the `tracing` events.
    #[inline]
    pub fn after<T, E, C>(&mut self, out: Result<T, E>, classify: &C) -> Step<T, E>
    where
        E: Display,
        C: Classify<E> + ?Sized,
    {
        match out {
            Ok(value) => {
                if let (Some(m), true) = (self.metrics, self.outcomes) {
                    m.call_succeeded();
                }
                if self.attempt.is_retry() {
                    self.succeeded_after_retry();
                }
                Step::Done(Ok(value))
            }
            Err(error) => self.failed(error, classify),
        }
    }

    #[cold]
    fn succeeded_after_retry(&self) {
        tracing::debug!(target: "resilient", function = self.name, attempts = self.attempt.number(), "succeeded after retrying");
    }

    #[cold]
    fn failed<T, E, C>(&mut self, error: E, classify: &C) -> Step<T, E>
    where
        E: Display,
        C: Classify<E> + ?Sized,
    {
        let verdict = classify.classify(&error);
        match self.decide(verdict, &error) {
            Some(delay) => Step::Retry(delay),
            None => Step::Done(Err(error)),
        }
    }

    /// The delay before the next attempt, or `None` to give up. Not generic,
    /// so its logic and events are compiled once, not once per function.
    fn decide(&mut self, verdict: Verdict, error: &dyn Display) -> Option<Duration> {
        let retries_done = self.attempt.number() - 1;
        let outcome = if !verdict.retry {
            Err(GiveUp::Permanent)
        } else if retries_done >= self.policy.config.max_retries {
            Err(GiveUp::Exhausted)
        } else {
            let delay = rng::with(|rng| {
                self.policy
                    .delay(retries_done, self.previous_delay, verdict.retry_after, rng)
            });
            match (delay, self.deadline) {
                (None, _) => Err(GiveUp::RetryAfterTooLong),
                (Some(d), Some(deadline)) if Instant::now() + d >= deadline => {
                    Err(GiveUp::Deadline)
                }
                (Some(d), _) => Ok(d),
            }
        };
        match outcome {
            Ok(delay) => {
                if let Some(m) = self.metrics {
                    m.retried();
                }
                tracing::info!(
                    target: "resilient",
                    function = self.name,
                    attempt = self.attempt.number(),
                    ?delay,
                    retry_after = ?verdict.retry_after,
                    error = %error,
                    "retrying",
                );
                self.previous_delay = delay;
                self.attempt.next();
                Some(delay)
            }
            Err(why) => {
                if let (Some(m), true) = (self.metrics, self.outcomes) {
                    m.call_failed();
                }
                tracing::warn!(
                    target: "resilient",
                    function = self.name,
                    attempts = self.attempt.number(),
                    reason = why.as_str(),
                    error = %error,
                    "giving up",
                );
                None
            }
        }
    }
}

impl RetryPolicy {
    /// Runs `operation` until it succeeds, fails permanently, or the policy
    /// gives up, classifying errors by their [`Transient`] impl. The last
    /// error is returned unchanged.
    ///
    /// ```
    /// use std::io;
    /// use std::time::Duration;
    /// use resilient_core::RetryConfig;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let policy = RetryConfig::new().backoff(Duration::from_secs(1)).build().unwrap();
    /// let mut calls = 0;
    /// let result = policy
    ///     .run(|| {
    ///         calls += 1;
    ///         let n = calls;
    ///         async move {
    ///             if n < 3 { Err(io::Error::from(io::ErrorKind::TimedOut)) } else { Ok(n) }
    ///         }
    ///     })
    ///     .await;
    /// assert_eq!(result.unwrap(), 3);
    /// # }
    /// ```
    pub async fn run<T, E, F, Fut>(&self, operation: F) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: Transient + From<TimedOut> + Display,
    {
        self.run_with(&ByTransient, "retry", None, operation).await
    }

    /// [`run`](Self::run) with a chosen classification (such as
    /// [`RetryIf`](crate::RetryIf)), a name for the `tracing` events, and
    /// figures to count into.
    ///
    /// ```
    /// use resilient_core::{metrics::Metrics, RetryConfig, RetryIf, TimedOut};
    ///
    /// #[derive(Debug)]
    /// struct Busy;
    /// impl std::fmt::Display for Busy {
    ///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("busy") }
    /// }
    /// impl From<TimedOut> for Busy { fn from(_: TimedOut) -> Self { Busy } }
    ///
    /// static FIGURES: Metrics = Metrics::new("fetch", module_path!());
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let policy = RetryConfig::new().max_retries(2).build().unwrap();
    /// let out: Result<(), Busy> = policy
    ///     .run_with(&RetryIf(|_: &Busy| true), "fetch", Some(&FIGURES), || async { Err(Busy) })
    ///     .await;
    /// assert!(out.is_err());
    /// assert_eq!(FIGURES.snapshot().attempts, 3);
    /// # }
    /// ```
    pub async fn run_with<T, E, F, Fut, C>(
        &self,
        classify: &C,
        name: &'static str,
        metrics: Option<&'static Metrics>,
        mut operation: F,
    ) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<TimedOut> + Display,
        C: Classify<E> + ?Sized,
    {
        let mut call = Retrying::new(self, name, metrics);
        loop {
            let out = call.attempt_timed(operation()).await;
            match call.after(out, classify) {
                Step::Done(result) => return result,
                Step::Retry(delay) => tokio::time::sleep(delay).await,
            }
        }
    }
}
