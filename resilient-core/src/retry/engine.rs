use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::RetryPolicy;
use crate::context::{Call, Scoped};
use crate::metrics::Metrics;
use crate::timeout::{TimeLimit, TimerSlot};
use crate::{
    rng, AcceptAll, ByTransient, Classify, ClassifyResult, Show, Step, TimedOut, Transient, Verdict,
};

/// What the events show for a result `retry_on` refused.
const REFUSED: &str = "a result `retry_on` refused";

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

/// The retry layer of one call: asked after each attempt what to do next
/// (see [`Step`] for a loop that drives it).
///
/// It counts the retries of one round; a [`Call`] holds what lasts across
/// rounds (the attempt number, the key, the deadline).
#[derive(Debug)]
pub struct Retrying<'p> {
    policy: &'p RetryPolicy,
    retries: u32,
    previous_delay: Duration,
}

impl<'p> Retrying<'p> {
    /// Starts retrying `call` under `policy`; the policy's `deadline`
    /// starts now, unless the call's budget started already.
    #[inline]
    pub fn new(policy: &'p RetryPolicy, call: &mut Call<'_>) -> Self {
        call.start_budget(policy.resolved.deadline);
        if policy.resolved.max_retries > 0 {
            crate::timer::check(call.metrics().name());
        }
        Retrying {
            policy,
            retries: 0,
            previous_delay: policy.resolved.backoff,
        }
    }

    /// The time limit of the attempt about to run: its `timeout`, clamped
    /// to what is left of the call's deadline.
    pub fn attempt_limit(&self, call: &Call<'_>) -> Option<Duration> {
        let per_attempt = self.policy.attempt_timeout(self.retries);
        let left = call
            .deadline()
            .map(|d| d.saturating_duration_since(Instant::now()));
        match (per_attempt, left) {
            (Some(a), Some(l)) => Some(a.min(l)),
            (a, l) => a.or(l),
        }
    }

    /// Runs one attempt with the call's attempt current, under its time
    /// limit; a late attempt fails with `convert(TimedOut)`.
    #[inline]
    pub fn attempt<'c, F, T, E>(
        &self,
        call: &'c mut Call<'_>,
        convert: fn(TimedOut) -> E,
        attempt: F,
    ) -> TimeLimit<'c, Scoped<'c, F>, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        self.attempt_in(call, convert, None, attempt)
    }

    /// [`attempt`](Self::attempt), its timer kept in `slot`.
    #[inline]
    pub(crate) fn attempt_in<'c, F, T, E, S: TimerSlot>(
        &self,
        call: &'c mut Call<'_>,
        convert: fn(TimedOut) -> E,
        slot: S,
        attempt: F,
    ) -> TimeLimit<'c, Scoped<'c, F>, E, S>
    where
        F: Future<Output = Result<T, E>>,
    {
        let limit = self.attempt_limit(call);
        let metrics = call.metrics();
        let scoped = call.scope(attempt);
        trace_attempt(metrics, scoped.number());
        TimeLimit::new(limit, metrics, convert, slot, scoped)
    }

    /// Runs one attempt with the call's attempt current, under no time
    /// limit: for a policy without `timeout` or `deadline`.
    #[inline]
    pub fn untimed<'c, F: Future>(&self, call: &'c mut Call<'_>, attempt: F) -> Scoped<'c, F> {
        let metrics = call.metrics();
        let scoped = call.scope(attempt);
        trace_attempt(metrics, scoped.number());
        scoped
    }

    /// Decides what follows an attempt's result: return it, or retry after
    /// a delay. Counts the retry and emits the `tracing` events, with the
    /// error as `show` displays it.
    #[inline]
    pub fn after<T, E, C>(
        &mut self,
        call: &mut Call<'_>,
        out: Result<T, E>,
        classify: &C,
        show: Show<E>,
    ) -> Step<T, E>
    where
        C: Classify<E> + ?Sized,
    {
        self.after_checked(call, out, classify, &AcceptAll, show)
    }

    /// [`after`](Self::after), with successful results judged by `check`:
    /// one it refuses is retried like an error; when the retries run out,
    /// it is returned as it was, and the call counts as failed.
    #[inline]
    pub fn after_checked<T, E, C, R>(
        &mut self,
        call: &mut Call<'_>,
        out: Result<T, E>,
        classify: &C,
        check: &R,
        show: Show<E>,
    ) -> Step<T, E>
    where
        C: Classify<E> + ?Sized,
        R: ClassifyResult<T> + ?Sized,
    {
        match out {
            Ok(value) => {
                let verdict = check.classify_result(&value);
                if verdict.retry {
                    return match self.decide(call, verdict, &REFUSED) {
                        Some(delay) => Step::Retry(delay),
                        None => {
                            call.refuse();
                            Step::Done(Ok(value))
                        }
                    };
                }
                if self.retries > 0 {
                    succeeded_after_retry(call.metrics(), call.number());
                }
                Step::Done(Ok(value))
            }
            Err(error) => {
                let verdict = classify.classify(&error);
                match self.decide(call, verdict, show(&error)) {
                    Some(delay) => Step::Retry(delay),
                    None => Step::Done(Err(error)),
                }
            }
        }
    }

    /// The delay before the next attempt, or `None` to give up. Not
    /// generic, so its logic and events are compiled once.
    #[cold]
    fn decide(
        &mut self,
        call: &mut Call<'_>,
        verdict: Verdict,
        error: &dyn Display,
    ) -> Option<Duration> {
        let r = &self.policy.resolved;
        let outcome = if !verdict.retry {
            Err(GiveUp::Permanent)
        } else if self.retries >= r.max_retries {
            Err(GiveUp::Exhausted)
        } else {
            let delay = rng::with(|rng| {
                self.policy
                    .delay(self.retries, self.previous_delay, verdict.retry_after, rng)
            });
            match (delay, call.deadline()) {
                (None, _) => Err(GiveUp::RetryAfterTooLong),
                // A wake-up at or past the deadline (or beyond what an
                // instant holds) would leave no time for the attempt.
                (Some(d), Some(deadline))
                    if Instant::now().checked_add(d).is_none_or(|t| t >= deadline) =>
                {
                    Err(GiveUp::Deadline)
                }
                (Some(d), _) => Ok(d),
            }
        };
        let metrics = call.metrics();
        match outcome {
            Ok(delay) => {
                metrics.retried();
                tracing::info!(
                    target: "resilient",
                    function = metrics.name(),
                    attempt = call.number(),
                    ?delay,
                    retry_after = ?verdict.retry_after,
                    error = %error,
                    "retrying",
                );
                self.previous_delay = delay;
                self.retries += 1;
                Some(delay)
            }
            Err(why) => {
                tracing::warn!(
                    target: "resilient",
                    function = metrics.name(),
                    attempts = call.number(),
                    reason = why.as_str(),
                    error = %error,
                    "giving up",
                );
                None
            }
        }
    }
}

// Not generic: one copy of the event per crate, not per function.
#[inline]
fn trace_attempt(metrics: &Metrics, number: u32) {
    tracing::trace!(target: "resilient", function = metrics.name(), attempt = number, "attempt");
}

#[cold]
fn succeeded_after_retry(metrics: &Metrics, attempts: u32) {
    tracing::debug!(target: "resilient", function = metrics.name(), attempts, "succeeded after retrying");
}

/// The figures of operations run by [`RetryPolicy::run`]: not listed.
static UNNAMED: Metrics = Metrics::new("retry", "");

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
        self.run_with(&ByTransient, &UNNAMED, operation).await
    }

    /// [`run`](Self::run) with a chosen classification (such as
    /// [`RetryIf`](crate::RetryIf)), counted in `metrics`, whose name the
    /// `tracing` events carry.
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
    ///     .run_with(&RetryIf(|_: &Busy| true), &FIGURES, || async { Err(Busy) })
    ///     .await;
    /// assert!(out.is_err());
    /// assert_eq!(FIGURES.snapshot().attempts, 3);
    /// # }
    /// ```
    pub async fn run_with<T, E, F, Fut, C>(
        &self,
        classify: &C,
        metrics: &Metrics,
        operation: F,
    ) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<TimedOut> + Display,
        C: Classify<E> + ?Sized,
    {
        self.run_checked(classify, &AcceptAll, metrics, operation)
            .await
    }

    /// [`run_with`](Self::run_with), with successful results judged by
    /// `check` (such as [`RetryOn`](crate::RetryOn)): a refused result is
    /// retried, and returned as it was when the retries run out.
    ///
    /// ```
    /// use std::io;
    /// use resilient_core::{metrics::Metrics, ByTransient, RetryConfig, RetryOn};
    ///
    /// static FIGURES: Metrics = Metrics::new("status", module_path!());
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let policy = RetryConfig::new().max_retries(2).build().unwrap();
    /// let status: Result<u16, io::Error> = policy
    ///     .run_checked(&ByTransient, &RetryOn(|s: &u16| *s == 503), &FIGURES, || async { Ok(503) })
    ///     .await;
    /// assert_eq!(status.unwrap(), 503); // the last result, as it was
    /// let figures = FIGURES.snapshot();
    /// assert_eq!((figures.attempts, figures.failures), (3, 1));
    /// # }
    /// ```
    pub async fn run_checked<T, E, F, Fut, C, R>(
        &self,
        classify: &C,
        check: &R,
        metrics: &Metrics,
        mut operation: F,
    ) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<TimedOut> + Display,
        C: Classify<E> + ?Sized,
        R: ClassifyResult<T> + ?Sized,
    {
        let mut call = Call::new(metrics);
        let mut retry = Retrying::new(self, &mut call);
        let out = loop {
            let out = retry.attempt(&mut call, E::from, operation()).await;
            match retry.after_checked(&mut call, out, classify, check, |e| e) {
                Step::Done(out) => break out,
                Step::Retry(delay) => crate::timer::sleep(delay).await,
                Step::Heal(_) | Step::Next => unreachable!("a retry only retries or ends"),
            }
        };
        call.finish_showing(&out, |e| e);
        out
    }
}
