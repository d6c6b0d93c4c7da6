//! The retry engine, driven through its public API under a paused Tokio clock.
//!
//! Every time-dependent test runs with `start_paused = true`: sleeps complete
//! instantly in real time while the virtual clock advances by exactly the
//! requested amount, so schedules are asserted to the millisecond (whole
//! offsets, no tolerance) by recording `tokio::time::Instant::now()` at the
//! start of every attempt.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use resilient_core::metrics::{self, Metrics};
use resilient_core::private::{Call, Retrying, Step};
use resilient_core::{
    attempt, seed_jitter, ByTransient, Classify, IdempotencyKey, Jitter, RetryConfig, RetryIf,
    RetryPolicy, Schedule, TimedOut, Transient,
};
use tokio::time::Instant;

// ---------------------------------------------------------------------------
// The error type and helpers.
// ---------------------------------------------------------------------------

/// A small error enum standing in for an application's error type.
#[derive(Debug, Clone, PartialEq)]
enum E {
    /// Worth retrying; the payload tells which attempt produced it.
    Transient(u32),
    /// Never worth retrying.
    Permanent(&'static str),
    /// Worth retrying, but not before the service's `Retry-After`.
    RateLimited(Duration),
    /// An attempt ran out of time.
    TimedOut(TimedOut),
}

impl fmt::Display for E {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            E::Transient(n) => write!(f, "transient failure on attempt {n}"),
            E::Permanent(why) => write!(f, "permanent failure: {why}"),
            E::RateLimited(d) => write!(f, "rate limited, retry after {d:?}"),
            E::TimedOut(t) => t.fmt(f),
        }
    }
}

impl Transient for E {
    fn is_transient(&self) -> bool {
        !matches!(self, E::Permanent(_))
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            E::RateLimited(d) => Some(*d),
            _ => None,
        }
    }
}

impl From<TimedOut> for E {
    fn from(t: TimedOut) -> Self {
        E::TimedOut(t)
    }
}

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn all_secs(v: &[u64]) -> Vec<Duration> {
    v.iter().copied().map(secs).collect()
}

fn all_ms(v: &[u64]) -> Vec<Duration> {
    v.iter().copied().map(ms).collect()
}

/// What one retried call did.
#[derive(Debug)]
struct Outcome<T> {
    result: Result<T, E>,
    /// When each attempt started, as an offset from the start of the call.
    starts: Vec<Duration>,
    /// How long the whole call took.
    elapsed: Duration,
}

impl<T> Outcome<T> {
    fn attempts(&self) -> usize {
        self.starts.len()
    }

    /// The time between the starts of consecutive attempts.
    fn gaps(&self) -> Vec<Duration> {
        self.starts.windows(2).map(|w| w[1] - w[0]).collect()
    }
}

/// Records the instant each attempt starts, as an offset from the start of
/// the call.
struct Recorder {
    t0: Instant,
    starts: Rc<RefCell<Vec<Duration>>>,
}

impl Recorder {
    fn new() -> Self {
        Recorder {
            t0: Instant::now(),
            starts: Rc::default(),
        }
    }

    /// Wraps `op`, which receives the attempt number (from 1) as counted by
    /// the test itself, so that every attempt records its start when its
    /// future is first polled.
    fn wrap<'a, T, Fut>(
        &self,
        mut op: impl FnMut(u32) -> Fut + 'a,
    ) -> impl FnMut() -> Pin<Box<dyn Future<Output = Result<T, E>> + 'a>> + 'a
    where
        T: 'a,
        Fut: Future<Output = Result<T, E>> + 'a,
    {
        let (t0, starts) = (self.t0, self.starts.clone());
        let mut n = 0;
        move || {
            n += 1;
            let attempt = op(n);
            let starts = starts.clone();
            Box::pin(async move {
                starts.borrow_mut().push(Instant::now() - t0);
                attempt.await
            }) as Pin<Box<dyn Future<Output = Result<T, E>>>>
        }
    }

    fn finish<T>(self, result: Result<T, E>) -> Outcome<T> {
        let elapsed = Instant::now() - self.t0;
        let starts = self.starts.borrow().clone();
        Outcome {
            result,
            starts,
            elapsed,
        }
    }
}

/// Runs `op` through `policy.run` (classification by `Transient`).
async fn drive<T, Fut>(policy: &RetryPolicy, op: impl FnMut(u32) -> Fut) -> Outcome<T>
where
    Fut: Future<Output = Result<T, E>>,
{
    let recorder = Recorder::new();
    let result = policy.run(recorder.wrap(op)).await;
    recorder.finish(result)
}

/// Like [`drive`], through `policy.run_with` with a chosen classification and
/// metrics.
async fn drive_with<T, Fut, C>(
    policy: &RetryPolicy,
    classify: &C,
    metrics: Option<&'static Metrics>,
    op: impl FnMut(u32) -> Fut,
) -> Outcome<T>
where
    Fut: Future<Output = Result<T, E>>,
    C: Classify<E> + ?Sized,
{
    let recorder = Recorder::new();
    let result = policy
        .run_with(classify, metrics.unwrap_or(&UNLISTED), recorder.wrap(op))
        .await;
    recorder.finish(result)
}

/// Figures for the runs that do not look at theirs.
static UNLISTED: Metrics = Metrics::new("test", module_path!());

/// An operation that fails with `E::Transient(n)` on every attempt, at once.
async fn always_transient(n: u32) -> Result<(), E> {
    Err(E::Transient(n))
}

/// An operation that never finishes.
async fn forever(_: u32) -> Result<(), E> {
    std::future::pending().await
}

// ---------------------------------------------------------------------------
// 1. The default exponential schedule.
// ---------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn exponential_schedule_makes_max_retries_plus_one_attempts() {
    let policy = RetryConfig::new().backoff(secs(2)).build().unwrap();
    assert_eq!(policy.max_retries(), 3);

    let out = drive(&policy, always_transient).await;

    // Delays 2, 4, 8 s: attempts at 0, 2, 6 and 14 s.
    assert_eq!(out.starts, all_secs(&[0, 2, 6, 14]));
    assert_eq!(out.attempts(), 4);
    // The last error comes back unchanged: the 4th attempt's payload.
    assert_eq!(out.result, Err(E::Transient(4)));
    // No sleep after the last attempt.
    assert_eq!(out.elapsed, secs(14));
}

#[tokio::test(start_paused = true)]
async fn default_policy_backs_off_100ms_200ms_400ms() {
    let policy = RetryConfig::new().build().unwrap();
    let out = drive(&policy, always_transient).await;
    assert_eq!(out.starts, all_ms(&[0, 100, 300, 700]));
    assert_eq!(out.result, Err(E::Transient(4)));
    assert_eq!(out.elapsed, ms(700));
}

#[tokio::test(start_paused = true)]
async fn success_after_failures_returns_the_value_and_stops() {
    let policy = RetryConfig::new().backoff(secs(2)).build().unwrap();
    let out = drive(&policy, |n| async move {
        if n < 3 {
            Err(E::Transient(n))
        } else {
            Ok(format!("ok on {n}"))
        }
    })
    .await;
    assert_eq!(out.result, Ok("ok on 3".to_string()));
    assert_eq!(out.starts, all_secs(&[0, 2, 6]));
    assert_eq!(out.elapsed, secs(6));
}

#[tokio::test(start_paused = true)]
async fn first_try_success_makes_one_attempt_without_delay() {
    let policy = RetryConfig::new().backoff(secs(2)).build().unwrap();
    let out = drive(&policy, |n| async move { Ok::<_, E>(n) }).await;
    assert_eq!(out.result, Ok(1));
    assert_eq!(out.starts, all_secs(&[0]));
    assert_eq!(out.elapsed, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn attempt_duration_adds_to_the_delay() {
    // Each attempt takes 1 s before failing; the delay runs after it.
    let policy = RetryConfig::new().backoff(secs(2)).build().unwrap();
    let out = drive(&policy, |n| async move {
        tokio::time::sleep(secs(1)).await;
        Err::<(), _>(E::Transient(n))
    })
    .await;
    // 0..1, sleep 2 → 3..4, sleep 4 → 8..9, sleep 8 → 17..18.
    assert_eq!(out.starts, all_secs(&[0, 3, 8, 17]));
    assert_eq!(out.elapsed, secs(18));
    assert_eq!(out.result, Err(E::Transient(4)));
}

// ---------------------------------------------------------------------------
// 2. attempts(n), linear and constant schedules, the max_delay cap.
// ---------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn attempts_n_is_max_retries_n_minus_one() {
    assert_eq!(
        RetryConfig::new().attempts(4),
        RetryConfig::new().max_retries(3)
    );
    assert_eq!(
        RetryConfig::new().attempts(1),
        RetryConfig::new().max_retries(0)
    );
    assert_eq!(
        RetryConfig::new().attempts(4).build().unwrap(),
        RetryConfig::new().max_retries(3).build().unwrap()
    );

    for n in 1..=6u32 {
        let by_attempts = RetryConfig::new()
            .attempts(n)
            .backoff(secs(1))
            .build()
            .unwrap();
        let by_retries = RetryConfig::new()
            .max_retries(n - 1)
            .backoff(secs(1))
            .build()
            .unwrap();
        assert_eq!(by_attempts.max_retries(), n - 1);

        let a = drive(&by_attempts, always_transient).await;
        let b = drive(&by_retries, always_transient).await;
        assert_eq!(a.attempts(), n as usize, "attempts({n})");
        assert_eq!(a.starts, b.starts, "attempts({n})");
        assert_eq!(a.result, Err(E::Transient(n)));
        assert_eq!(b.result, Err(E::Transient(n)));
    }
}

#[tokio::test(start_paused = true)]
async fn zero_retries_makes_exactly_one_attempt() {
    let policy = RetryConfig::new().max_retries(0).build().unwrap();
    let out = drive(&policy, always_transient).await;
    assert_eq!(out.starts, all_secs(&[0]));
    assert_eq!(out.result, Err(E::Transient(1)));
    assert_eq!(out.elapsed, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn linear_schedule() {
    let policy = RetryConfig::new()
        .schedule(Schedule::Linear)
        .backoff(secs(1))
        .max_retries(4)
        .build()
        .unwrap();
    let out = drive(&policy, always_transient).await;
    // Delays 1, 2, 3, 4 s.
    assert_eq!(out.gaps(), all_secs(&[1, 2, 3, 4]));
    assert_eq!(out.starts, all_secs(&[0, 1, 3, 6, 10]));
    assert_eq!(out.result, Err(E::Transient(5)));
}

#[tokio::test(start_paused = true)]
async fn constant_schedule() {
    let policy = RetryConfig::new()
        .schedule(Schedule::Constant)
        .backoff(secs(3))
        .max_retries(4)
        .build()
        .unwrap();
    let out = drive(&policy, always_transient).await;
    assert_eq!(out.gaps(), all_secs(&[3, 3, 3, 3]));
    assert_eq!(out.starts, all_secs(&[0, 3, 6, 9, 12]));
    assert_eq!(out.result, Err(E::Transient(5)));
}

#[tokio::test(start_paused = true)]
async fn exponential_factor_three() {
    let policy = RetryConfig::new()
        .backoff(ms(500))
        .factor(3.0)
        .build()
        .unwrap();
    let out = drive(&policy, always_transient).await;
    assert_eq!(out.gaps(), all_ms(&[500, 1500, 4500]));
    assert_eq!(out.starts, all_ms(&[0, 500, 2000, 6500]));
}

#[tokio::test(start_paused = true)]
async fn factor_one_is_constant() {
    let policy = RetryConfig::new()
        .backoff(secs(2))
        .factor(1.0)
        .build()
        .unwrap();
    let out = drive(&policy, always_transient).await;
    assert_eq!(out.gaps(), all_secs(&[2, 2, 2]));
}

#[tokio::test(start_paused = true)]
async fn max_delay_caps_the_exponential_schedule() {
    let policy = RetryConfig::new()
        .backoff(secs(1))
        .max_delay(secs(5))
        .max_retries(6)
        .build()
        .unwrap();
    let out = drive(&policy, always_transient).await;
    // 1, 2, 4, then capped at 5.
    assert_eq!(out.gaps(), all_secs(&[1, 2, 4, 5, 5, 5]));
    assert_eq!(out.starts, all_secs(&[0, 1, 3, 7, 12, 17, 22]));
    assert_eq!(out.result, Err(E::Transient(7)));
}

#[tokio::test(start_paused = true)]
async fn max_delay_caps_the_linear_schedule() {
    let policy = RetryConfig::new()
        .schedule(Schedule::Linear)
        .backoff(secs(2))
        .max_delay(secs(5))
        .max_retries(4)
        .build()
        .unwrap();
    let out = drive(&policy, always_transient).await;
    assert_eq!(out.gaps(), all_secs(&[2, 4, 5, 5]));
}

#[tokio::test(start_paused = true)]
async fn max_delay_equal_to_backoff_is_constant() {
    let policy = RetryConfig::new()
        .backoff(secs(2))
        .max_delay(secs(2))
        .build()
        .unwrap();
    let out = drive(&policy, always_transient).await;
    assert_eq!(out.gaps(), all_secs(&[2, 2, 2]));
}

// ---------------------------------------------------------------------------
// 3. Permanent errors and RetryIf.
// ---------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn permanent_error_makes_exactly_one_attempt() {
    let policy = RetryConfig::new().backoff(secs(2)).build().unwrap();
    let out = drive(&policy, |_| async {
        Err::<(), _>(E::Permanent("bad input"))
    })
    .await;
    assert_eq!(out.starts, all_secs(&[0]));
    assert_eq!(out.result, Err(E::Permanent("bad input")));
    assert_eq!(out.elapsed, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn permanent_error_after_transient_ones_stops_at_once() {
    let policy = RetryConfig::new()
        .backoff(secs(2))
        .max_retries(10)
        .build()
        .unwrap();
    let out = drive(&policy, |n| async move {
        if n < 3 {
            Err::<(), _>(E::Transient(n))
        } else {
            Err(E::Permanent("gone"))
        }
    })
    .await;
    assert_eq!(out.starts, all_secs(&[0, 2, 6]));
    assert_eq!(out.result, Err(E::Permanent("gone")));
    assert_eq!(out.elapsed, secs(6));
}

#[tokio::test(start_paused = true)]
async fn retry_if_false_overrides_a_transient_error() {
    let policy = RetryConfig::new().backoff(secs(2)).build().unwrap();
    let never = RetryIf(|_: &E| false);
    let out = drive_with(&policy, &never, None, always_transient).await;
    assert_eq!(out.starts, all_secs(&[0]));
    assert_eq!(out.result, Err(E::Transient(1)));
}

#[tokio::test(start_paused = true)]
async fn retry_if_true_overrides_a_permanent_error() {
    let policy = RetryConfig::new().backoff(secs(2)).build().unwrap();
    let always = RetryIf(|_: &E| true);
    let out = drive_with(&policy, &always, None, |_| async {
        Err::<(), _>(E::Permanent("nope"))
    })
    .await;
    assert_eq!(out.starts, all_secs(&[0, 2, 6, 14]));
    assert_eq!(out.result, Err(E::Permanent("nope")));
}

#[tokio::test(start_paused = true)]
async fn retry_if_sees_each_error() {
    let policy = RetryConfig::new()
        .backoff(secs(1))
        .max_retries(10)
        .build()
        .unwrap();
    let seen = RefCell::new(Vec::new());
    // Retries only the first two attempts' errors.
    let first_two = RetryIf(|e: &E| {
        seen.borrow_mut().push(e.clone());
        matches!(e, E::Transient(n) if *n < 3)
    });
    let out = drive_with(&policy, &first_two, None, always_transient).await;
    assert_eq!(out.starts, all_secs(&[0, 1, 3]));
    assert_eq!(out.result, Err(E::Transient(3)));
    assert_eq!(
        seen.into_inner(),
        [E::Transient(1), E::Transient(2), E::Transient(3)]
    );
}

#[tokio::test(start_paused = true)]
async fn retry_if_carries_no_retry_after_hint() {
    // With RetryIf the hint is ignored: the plain schedule runs, even for a
    // hint beyond max_delay that would otherwise end the retries.
    let policy = RetryConfig::new()
        .backoff(secs(1))
        .max_delay(secs(30))
        .max_retries(2)
        .build()
        .unwrap();
    let always = RetryIf(|_: &E| true);
    let out = drive_with(&policy, &always, None, |_| async {
        Err::<(), _>(E::RateLimited(secs(60)))
    })
    .await;
    assert_eq!(out.starts, all_secs(&[0, 1, 3]));
    assert_eq!(out.result, Err(E::RateLimited(secs(60))));
}

#[tokio::test(start_paused = true)]
async fn by_transient_through_run_with_is_run() {
    let policy = RetryConfig::new().backoff(secs(2)).build().unwrap();
    let a = drive(&policy, always_transient).await;
    let b = drive_with(&policy, &ByTransient, None, always_transient).await;
    assert_eq!(a.starts, b.starts);
    assert_eq!(a.result, b.result);
}

// ---------------------------------------------------------------------------
// 4. Retry-After hints.
// ---------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn retry_after_longer_than_the_backoff_replaces_it() {
    let policy = RetryConfig::new()
        .backoff(secs(1))
        .max_retries(4)
        .jitter(Jitter::None)
        .build()
        .unwrap();
    // Scheduled 1, 2, 4, 8 s; a 3 s hint lifts the first two to 3 s and
    // leaves the longer ones alone.
    let out = drive(&policy, |_| async { Err::<(), _>(E::RateLimited(secs(3))) }).await;
    assert_eq!(out.gaps(), all_secs(&[3, 3, 4, 8]));
    assert_eq!(out.starts, all_secs(&[0, 3, 6, 10, 18]));
    assert_eq!(out.result, Err(E::RateLimited(secs(3))));
}

#[tokio::test(start_paused = true)]
async fn retry_after_shorter_than_the_backoff_is_ignored() {
    let policy = RetryConfig::new().backoff(secs(1)).build().unwrap();
    let out = drive(&policy, |_| async { Err::<(), _>(E::RateLimited(ms(10))) }).await;
    assert_eq!(out.gaps(), all_secs(&[1, 2, 4]));
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_exact_for_each_attempt() {
    // Each attempt asks for a different wait; each is honoured exactly.
    let policy = RetryConfig::new()
        .backoff(ms(100))
        .max_delay(secs(30))
        .build()
        .unwrap();
    let hints = [secs(5), ms(2500), secs(17), secs(1)];
    let out = drive(&policy, |n| async move {
        Err::<(), _>(E::RateLimited(hints[n as usize - 1]))
    })
    .await;
    assert_eq!(out.gaps(), vec![secs(5), ms(2500), secs(17)]);
    assert_eq!(out.result, Err(E::RateLimited(secs(1))));
}

#[tokio::test(start_paused = true)]
async fn retry_after_equal_to_max_delay_is_honoured() {
    let policy = RetryConfig::new()
        .backoff(secs(1))
        .max_delay(secs(10))
        .max_retries(1)
        .build()
        .unwrap();
    let out = drive(&policy, |_| async {
        Err::<(), _>(E::RateLimited(secs(10)))
    })
    .await;
    assert_eq!(out.starts, all_secs(&[0, 10]));
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_max_delay_ends_the_retries_at_once() {
    let policy = RetryConfig::new()
        .backoff(secs(1))
        .max_delay(secs(30))
        .max_retries(5)
        .build()
        .unwrap();
    let out = drive(&policy, |_| async {
        Err::<(), _>(E::RateLimited(secs(31)))
    })
    .await;
    assert_eq!(out.starts, all_secs(&[0]));
    assert_eq!(out.result, Err(E::RateLimited(secs(31))));
    assert_eq!(out.elapsed, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_max_delay_after_some_retries() {
    let policy = RetryConfig::new()
        .backoff(secs(1))
        .max_delay(secs(30))
        .max_retries(5)
        .build()
        .unwrap();
    let out = drive(&policy, |n| async move {
        if n < 3 {
            Err::<(), _>(E::Transient(n))
        } else {
            Err(E::RateLimited(secs(60)))
        }
    })
    .await;
    assert_eq!(out.starts, all_secs(&[0, 1, 3]));
    assert_eq!(out.result, Err(E::RateLimited(secs(60))));
    assert_eq!(out.elapsed, secs(3));
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_a_floor_under_full_jitter() {
    seed_jitter(42);
    let hint = secs(3);
    let policy = RetryConfig::new()
        .backoff(secs(1))
        .max_delay(secs(30))
        .jitter(Jitter::Full)
        .max_retries(8)
        .build()
        .unwrap();
    let out = drive(
        &policy,
        |_| async move { Err::<(), _>(E::RateLimited(hint)) },
    )
    .await;
    assert_eq!(out.attempts(), 9);
    for (i, gap) in out.gaps().into_iter().enumerate() {
        assert!(gap >= hint, "delay {i} was {gap:?}, below the 3 s hint");
        // A paused clock may round a sleep up to the next millisecond.
        assert!(gap <= secs(30) + ms(1), "delay {i} was {gap:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn retry_after_floor_holds_for_every_jitter_kind_exactly() {
    // The same property on the exact delays the engine decides.
    for jitter in [Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
        seed_jitter(3);
        let policy = RetryConfig::new()
            .backoff(secs(1))
            .max_delay(secs(20))
            .jitter(jitter)
            .max_retries(40)
            .build()
            .unwrap();
        let hint = secs(4);
        let delays = engine_delays(&policy, |_| E::RateLimited(hint)).await;
        assert_eq!(delays.len(), 40);
        for d in &delays {
            assert!(*d >= hint && *d <= secs(20), "{jitter:?}: {d:?}");
        }
        // The jitter still spreads the delays above the floor.
        let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
        assert!(distinct.len() > 20, "{jitter:?} collapsed: {delays:?}");
    }
}

// ---------------------------------------------------------------------------
// 5. Per-attempt timeouts.
// ---------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn per_attempt_timeout_grows_by_its_factor() {
    static FIGURES: Metrics = Metrics::new("timeout_grows", module_path!());
    let policy = RetryConfig::new()
        .timeout(secs(30))
        .timeout_factor(2.0)
        .backoff(secs(1))
        .max_retries(2)
        .build()
        .unwrap();
    assert_eq!(policy.attempt_timeout(0), Some(secs(30)));
    assert_eq!(policy.attempt_timeout(1), Some(secs(60)));
    assert_eq!(policy.attempt_timeout(2), Some(secs(120)));

    let t0 = Instant::now();
    let seen = RefCell::new(Vec::new());
    let record = RetryIf(|e: &E| {
        seen.borrow_mut().push((Instant::now() - t0, e.clone()));
        e.is_transient()
    });
    let out = drive_with(&policy, &record, Some(&FIGURES), forever).await;

    // 0..30 timed out, sleep 1; 31..91 timed out, sleep 2; 93..213 timed out.
    assert_eq!(out.starts, all_secs(&[0, 31, 93]));
    assert_eq!(
        seen.into_inner(),
        [
            (secs(30), E::TimedOut(TimedOut::new(secs(30)))),
            (secs(91), E::TimedOut(TimedOut::new(secs(60)))),
            (secs(213), E::TimedOut(TimedOut::new(secs(120)))),
        ]
    );
    assert_eq!(out.result, Err(E::TimedOut(TimedOut::new(secs(120)))));
    assert_eq!(out.elapsed, secs(213));

    let s = FIGURES.snapshot();
    assert_eq!(s.timeouts, 3);
    assert_eq!((s.calls, s.attempts, s.retries), (1, 3, 2));
    assert_eq!((s.successes, s.failures), (0, 1));
}

#[tokio::test(start_paused = true)]
async fn timed_out_attempts_are_retried_by_run() {
    // TimedOut converts into E::TimedOut, which E's Transient impl retries.
    let policy = RetryConfig::new()
        .timeout(secs(5))
        .backoff(secs(1))
        .schedule(Schedule::Constant)
        .build()
        .unwrap();
    let out = drive(&policy, forever).await;
    // Default timeout_factor 1.0: every attempt gets 5 s.
    assert_eq!(out.starts, all_secs(&[0, 6, 12, 18]));
    assert_eq!(out.elapsed, secs(23));
    assert_eq!(out.result, Err(E::TimedOut(TimedOut::new(secs(5)))));
}

#[tokio::test(start_paused = true)]
async fn attempt_within_its_timeout_is_not_cut() {
    static FIGURES: Metrics = Metrics::new("within_timeout", module_path!());
    let policy = RetryConfig::new().timeout(secs(30)).build().unwrap();
    let out = drive_with(&policy, &ByTransient, Some(&FIGURES), |n| async move {
        tokio::time::sleep(ms(29_999)).await;
        Ok::<_, E>(n)
    })
    .await;
    assert_eq!(out.result, Ok(1));
    assert_eq!(out.elapsed, ms(29_999));
    assert_eq!(FIGURES.snapshot().timeouts, 0);
}

#[tokio::test(start_paused = true)]
async fn slow_attempt_times_out_then_a_fast_one_succeeds() {
    static FIGURES: Metrics = Metrics::new("slow_then_fast", module_path!());
    let policy = RetryConfig::new()
        .timeout(secs(10))
        .timeout_factor(2.0)
        .backoff(secs(1))
        .build()
        .unwrap();
    let out = drive_with(&policy, &ByTransient, Some(&FIGURES), |n| async move {
        if n == 1 {
            std::future::pending::<()>().await;
        }
        // 15 s: too slow for 10 s, fine for the 20 s of attempt 2.
        tokio::time::sleep(secs(15)).await;
        Ok::<_, E>(n)
    })
    .await;
    assert_eq!(out.result, Ok(2));
    assert_eq!(out.starts, all_secs(&[0, 11]));
    assert_eq!(out.elapsed, secs(26));
    let s = FIGURES.snapshot();
    assert_eq!(
        (s.timeouts, s.retries, s.successes, s.failures),
        (1, 1, 1, 0)
    );
}

// ---------------------------------------------------------------------------
// 6. The deadline.
// ---------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn deadline_gives_up_instead_of_sleeping_past_it() {
    let policy = RetryConfig::new()
        .backoff(secs(1))
        .max_retries(10)
        .deadline(secs(10))
        .build()
        .unwrap();
    let out = drive(&policy, always_transient).await;
    // Delays 1, 2, 4 fit; the next, 8 s from t = 7 s, would end past 10 s.
    assert_eq!(out.starts, all_secs(&[0, 1, 3, 7]));
    assert_eq!(out.result, Err(E::Transient(4)));
    assert_eq!(out.elapsed, secs(7));
}

#[tokio::test(start_paused = true)]
async fn deadline_gives_up_when_a_delay_would_end_exactly_on_it() {
    let policy = RetryConfig::new()
        .backoff(secs(1))
        .schedule(Schedule::Constant)
        .max_retries(10)
        .deadline(secs(3))
        .build()
        .unwrap();
    let out = drive(&policy, always_transient).await;
    // At t = 2 s a 1 s delay would leave nothing for another attempt.
    assert_eq!(out.starts, all_secs(&[0, 1, 2]));
    assert_eq!(out.elapsed, secs(2));
}

#[tokio::test(start_paused = true)]
async fn deadline_clamps_the_last_attempt_to_what_is_left() {
    static FIGURES: Metrics = Metrics::new("deadline_clamp", module_path!());
    let policy = RetryConfig::new()
        .backoff(ms(500))
        .schedule(Schedule::Constant)
        .max_retries(10)
        .timeout(secs(10))
        .deadline(secs(10))
        .build()
        .unwrap();
    let out = drive_with(&policy, &ByTransient, Some(&FIGURES), |n| async move {
        tokio::time::sleep(secs(4)).await;
        Err::<(), _>(E::Transient(n))
    })
    .await;
    // 0..4, 4.5..8.5, then at 9 s only 1 s is left: the 30 s timeout is
    // clamped to it and the attempt is cut at exactly 10 s.
    assert_eq!(out.starts, all_ms(&[0, 4_500, 9_000]));
    assert_eq!(out.result, Err(E::TimedOut(TimedOut::new(secs(1)))));
    assert_eq!(out.elapsed, secs(10));
    let s = FIGURES.snapshot();
    assert_eq!((s.attempts, s.timeouts, s.failures), (3, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn deadline_and_per_attempt_timeout_together() {
    let policy = RetryConfig::new()
        .timeout(secs(3))
        .backoff(secs(1))
        .schedule(Schedule::Constant)
        .max_retries(10)
        .deadline(secs(10))
        .build()
        .unwrap();
    let t0 = Instant::now();
    let seen = RefCell::new(Vec::new());
    let record = RetryIf(|e: &E| {
        seen.borrow_mut().push((Instant::now() - t0, e.clone()));
        true
    });
    let out = drive_with(&policy, &record, None, forever).await;
    // 0..3, 4..7, 8..10 (clamped from 3 s to the 2 s left).
    assert_eq!(out.starts, all_secs(&[0, 4, 8]));
    assert_eq!(
        seen.into_inner(),
        [
            (secs(3), E::TimedOut(TimedOut::new(secs(3)))),
            (secs(7), E::TimedOut(TimedOut::new(secs(3)))),
            (secs(10), E::TimedOut(TimedOut::new(secs(2)))),
        ]
    );
    assert_eq!(out.elapsed, secs(10));
}

#[tokio::test(start_paused = true)]
async fn deadline_alone_bounds_an_attempt_that_never_ends() {
    let policy = RetryConfig::new().deadline(secs(5)).build().unwrap();
    let out = drive(&policy, forever).await;
    assert_eq!(out.starts, all_secs(&[0]));
    assert_eq!(out.result, Err(E::TimedOut(TimedOut::new(secs(5)))));
    assert_eq!(out.elapsed, secs(5));
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_the_deadline_ends_the_retries_at_once() {
    let policy = RetryConfig::new()
        .backoff(secs(1))
        .max_delay(secs(60))
        .max_retries(5)
        .deadline(secs(10))
        .build()
        .unwrap();
    // 20 s is within max_delay but past the deadline.
    let out = drive(&policy, |_| async {
        Err::<(), _>(E::RateLimited(secs(20)))
    })
    .await;
    assert_eq!(out.starts, all_secs(&[0]));
    assert_eq!(out.elapsed, Duration::ZERO);

    // A 4 s hint fits twice: 0, 4, 8; at 8 s the next would end at 12 s.
    let out = drive(&policy, |_| async { Err::<(), _>(E::RateLimited(secs(4))) }).await;
    assert_eq!(out.starts, all_secs(&[0, 4, 8]));
    assert_eq!(out.elapsed, secs(8));
}

#[tokio::test(start_paused = true)]
async fn the_deadline_counts_from_the_start_of_each_call() {
    let policy = RetryConfig::new()
        .backoff(secs(1))
        .max_retries(10)
        .deadline(secs(10))
        .build()
        .unwrap();
    tokio::time::sleep(secs(100)).await;
    let a = drive(&policy, always_transient).await;
    let b = drive(&policy, always_transient).await;
    assert_eq!(a.starts, all_secs(&[0, 1, 3, 7]));
    assert_eq!(b.starts, a.starts);
}

#[tokio::test(start_paused = true)]
async fn a_huge_deadline_is_no_deadline() {
    // Any non-zero deadline is accepted by build(); one too far in the
    // future to be represented must behave like no deadline, not panic.
    let policy = RetryConfig::new()
        .backoff(secs(1))
        .deadline(Duration::MAX)
        .build()
        .unwrap();
    let out = drive(&policy, always_transient).await;
    assert_eq!(out.starts, all_secs(&[0, 1, 3, 7]));
    assert_eq!(out.result, Err(E::Transient(4)));
}

#[tokio::test(start_paused = true)]
async fn a_huge_delay_under_a_deadline_gives_up() {
    // The longest possible delay (the constant schedule hands `backoff`
    // through as Duration::MAX) is past any deadline, and must not overflow.
    let policy = RetryConfig::new()
        .schedule(Schedule::Constant)
        .backoff(Duration::MAX)
        .max_delay(Duration::MAX)
        .deadline(secs(3600))
        .build()
        .unwrap();
    let out = drive(&policy, always_transient).await;
    assert_eq!(out.starts, all_secs(&[0]));
    assert_eq!(out.result, Err(E::Transient(1)));
    assert_eq!(out.elapsed, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_huge_retry_after_under_a_deadline_gives_up() {
    let policy = RetryConfig::new()
        .max_delay(Duration::MAX)
        .deadline(secs(3600))
        .build()
        .unwrap();
    let out = drive(&policy, |_| async {
        Err::<(), _>(E::RateLimited(Duration::MAX))
    })
    .await;
    assert_eq!(out.starts, all_secs(&[0]));
    assert_eq!(out.result, Err(E::RateLimited(Duration::MAX)));
}

// ---------------------------------------------------------------------------
// 7. Seeded jitter.
// ---------------------------------------------------------------------------

/// The delays the engine decides for a call whose attempt `n` fails with
/// `error(n)`, until it gives up. The clock is advanced by each delay, as
/// `run` would.
async fn engine_delays(policy: &RetryPolicy, error: impl Fn(u32) -> E) -> Vec<Duration> {
    let mut call = Call::new(&UNLISTED);
    let mut retry = Retrying::new(policy, &mut call);
    let mut delays = Vec::new();
    loop {
        let n = call.number();
        let out: Result<(), E> = retry.untimed(&mut call, async { Err(error(n)) }).await;
        match retry.after(&mut call, out, &ByTransient, |e| e) {
            Step::Done(_) => return delays,
            Step::Retry(d) => {
                delays.push(d);
                tokio::time::sleep(d).await;
            }
            _ => unreachable!(),
        }
    }
}

fn jittered(jitter: Jitter) -> RetryPolicy {
    RetryConfig::new()
        .backoff(secs(1))
        .max_delay(secs(60))
        .jitter(jitter)
        .max_retries(6)
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn same_seed_gives_the_same_delays() {
    for jitter in [Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
        let policy = jittered(jitter);
        seed_jitter(7);
        let a = engine_delays(&policy, E::Transient).await;
        seed_jitter(7);
        let b = engine_delays(&policy, E::Transient).await;
        seed_jitter(8);
        let c = engine_delays(&policy, E::Transient).await;
        assert_eq!(a.len(), 6);
        assert_eq!(a, b, "{jitter:?}: same seed, different delays");
        assert_ne!(a, c, "{jitter:?}: different seeds, same delays");
    }
}

#[tokio::test(start_paused = true)]
async fn same_seed_gives_the_same_schedule_through_run() {
    let policy = jittered(Jitter::Full);
    // The exact delays the seed produces...
    seed_jitter(7);
    let delays = engine_delays(&policy, E::Transient).await;
    // ...are the ones `run` sleeps (a paused clock may round a sleep up to
    // the next millisecond).
    for _ in 0..2 {
        seed_jitter(7);
        let out = drive(&policy, always_transient).await;
        assert_eq!(out.attempts(), 7);
        for (gap, d) in out.gaps().into_iter().zip(&delays) {
            assert!(gap >= *d && gap - *d <= ms(1), "slept {gap:?} for {d:?}");
        }
    }
    seed_jitter(8);
    let other = engine_delays(&policy, E::Transient).await;
    assert_ne!(delays, other);
}

#[tokio::test(start_paused = true)]
async fn jittered_delays_stay_within_their_bounds() {
    seed_jitter(11);
    let full = engine_delays(&jittered(Jitter::Full), E::Transient).await;
    let equal = engine_delays(&jittered(Jitter::Equal), E::Transient).await;
    let decorrelated = engine_delays(&jittered(Jitter::Decorrelated), E::Transient).await;
    let scheduled = all_secs(&[1, 2, 4, 8, 16, 32]);
    for (n, d) in scheduled.iter().enumerate() {
        assert!(full[n] <= *d, "full {n}: {:?}", full[n]);
        assert!(
            equal[n] >= *d / 2 && equal[n] <= *d,
            "equal {n}: {:?}",
            equal[n]
        );
    }
    // Decorrelated: in [backoff, min(max_delay, 3 × previous)], starting from
    // a previous delay of `backoff`.
    let mut previous = secs(1);
    for d in decorrelated {
        assert!(d >= secs(1) && d <= (previous * 3).min(secs(60)), "{d:?}");
        previous = d;
    }
}

#[tokio::test(start_paused = true)]
async fn decorrelated_jitter_grows_from_the_previous_delay() {
    // Each draw may reach 3 × the previous one, so over many retries the
    // delays climb well past 3 × backoff (up to the cap); were the engine to
    // forget the previous delay, every draw would stay within [1 s, 3 s].
    seed_jitter(5);
    let policy = RetryConfig::new()
        .backoff(secs(1))
        .max_delay(secs(60))
        .jitter(Jitter::Decorrelated)
        .max_retries(30)
        .build()
        .unwrap();
    let delays = engine_delays(&policy, E::Transient).await;
    assert_eq!(delays.len(), 30);
    assert!(delays.iter().any(|d| *d > secs(10)), "{delays:?}");
    let mut previous = secs(1);
    for d in delays {
        assert!(d >= secs(1) && d <= (previous * 3).min(secs(60)), "{d:?}");
        previous = d;
    }
}

#[tokio::test(start_paused = true)]
async fn no_jitter_ignores_the_seed() {
    let policy = RetryConfig::new().backoff(secs(1)).build().unwrap();
    seed_jitter(1);
    let a = engine_delays(&policy, E::Transient).await;
    seed_jitter(2);
    let b = engine_delays(&policy, E::Transient).await;
    assert_eq!(a, all_secs(&[1, 2, 4]));
    assert_eq!(a, b);
}

// ---------------------------------------------------------------------------
// 8. attempt() inside the operation.
// ---------------------------------------------------------------------------

/// Number, is_retry and idempotency key seen by each attempt of one call.
type Seen = Vec<(u32, bool, IdempotencyKey)>;

async fn observe_attempts(policy: &RetryPolicy, succeed_on: u32) -> (Seen, Result<u32, E>) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let result = policy
        .run(|| {
            let seen = seen.clone();
            async move {
                let a = attempt().expect("attempt() inside a retried call");
                seen.borrow_mut()
                    .push((a.number(), a.is_retry(), a.idempotency_key()));
                if a.number() < succeed_on {
                    Err(E::Transient(a.number()))
                } else {
                    Ok(a.number())
                }
            }
        })
        .await;
    let seen = seen.borrow().clone();
    (seen, result)
}

#[tokio::test(start_paused = true)]
async fn attempt_numbers_and_one_key_per_call() {
    assert!(attempt().is_none());
    let policy = RetryConfig::new().backoff(secs(1)).build().unwrap();

    let (first, result) = observe_attempts(&policy, 3).await;
    assert_eq!(result, Ok(3));
    let numbers: Vec<_> = first.iter().map(|(n, r, _)| (*n, *r)).collect();
    assert_eq!(numbers, [(1, false), (2, true), (3, true)]);
    let key = first[0].2;
    assert!(first.iter().all(|(_, _, k)| *k == key), "{first:?}");
    assert_eq!(key.to_string().len(), 32);

    let (second, _) = observe_attempts(&policy, 3).await;
    assert!(second.iter().all(|(_, _, k)| *k == second[0].2));
    assert_ne!(second[0].2, key, "two calls shared an idempotency key");

    assert!(attempt().is_none());
}

#[tokio::test(start_paused = true)]
async fn attempt_is_set_across_awaits_and_a_late_key_stays() {
    let policy = RetryConfig::new().backoff(secs(1)).build().unwrap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let result = policy
        .run(|| {
            let seen = seen.clone();
            async move {
                let before = attempt().unwrap();
                tokio::time::sleep(secs(1)).await; // a new poll
                let after = attempt().unwrap();
                assert_eq!(before.number(), after.number());
                // The key is asked for first on attempt 2, in a later poll.
                let key = (after.number() >= 2).then(|| after.idempotency_key());
                tokio::time::sleep(secs(1)).await;
                let again = (after.number() >= 2).then(|| attempt().unwrap().idempotency_key());
                seen.borrow_mut().push((after.number(), key, again));
                if after.number() < 4 {
                    Err(E::Transient(after.number()))
                } else {
                    Ok(())
                }
            }
        })
        .await;
    assert_eq!(result, Ok(()));
    let seen = seen.borrow();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0].1, None);
    let key = seen[1].1.unwrap();
    for (n, k, again) in &seen[1..] {
        assert_eq!((*k, *again), (Some(key), Some(key)), "attempt {n}");
    }
}

#[tokio::test(start_paused = true)]
async fn attempt_is_none_outside_and_in_spawned_tasks() {
    assert!(attempt().is_none());
    let policy = RetryConfig::new().build().unwrap();
    let (inside, spawned) = policy
        .run(|| async {
            let inside = attempt().map(|a| a.number());
            let spawned = tokio::spawn(async { attempt().is_none() }).await.unwrap();
            Ok::<_, E>((inside, spawned))
        })
        .await
        .unwrap();
    assert_eq!(inside, Some(1));
    assert!(spawned, "a spawned task saw the attempt");
    assert!(attempt().is_none());
}

#[tokio::test(start_paused = true)]
async fn nested_calls_see_their_own_attempt() {
    let outer = RetryConfig::new().backoff(secs(1)).build().unwrap();
    let inner = RetryConfig::new().backoff(secs(1)).build().unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let result = outer
        .run(|| {
            let log = log.clone();
            let inner = &inner;
            async move {
                let o = attempt().unwrap();
                let outer_key = o.idempotency_key();
                let inner_result = inner
                    .run(|| {
                        let log = log.clone();
                        async move {
                            let i = attempt().unwrap();
                            log.borrow_mut()
                                .push(("inner", i.number(), i.idempotency_key()));
                            if i.number() < 2 {
                                Err(E::Transient(i.number()))
                            } else {
                                Ok(())
                            }
                        }
                    })
                    .await;
                // Back in the outer call: its attempt is restored.
                let o2 = attempt().unwrap();
                assert_eq!(o2.number(), o.number());
                assert_eq!(o2.idempotency_key(), outer_key);
                log.borrow_mut().push(("outer", o.number(), outer_key));
                inner_result?;
                if o.number() < 2 {
                    Err(E::Transient(o.number()))
                } else {
                    Ok(())
                }
            }
        })
        .await;
    assert_eq!(result, Ok(()));
    let log = log.borrow();
    let shape: Vec<_> = log.iter().map(|(who, n, _)| (*who, *n)).collect();
    assert_eq!(
        shape,
        [
            ("inner", 1),
            ("inner", 2),
            ("outer", 1),
            ("inner", 1),
            ("inner", 2),
            ("outer", 2)
        ]
    );
    let outer_key = log[2].2;
    assert_eq!(log[5].2, outer_key);
    // Each inner call has its own key, unlike the outer one's.
    assert_eq!(log[0].2, log[1].2);
    assert_eq!(log[3].2, log[4].2);
    assert_ne!(log[0].2, log[3].2);
    assert_ne!(log[0].2, outer_key);
}

#[tokio::test(start_paused = true)]
async fn retrying_current_tracks_the_attempt() {
    let policy = RetryConfig::new().backoff(secs(2)).build().unwrap();
    let mut call = Call::new(&UNLISTED);
    let mut retry = Retrying::new(&policy, &mut call);
    let t0 = Instant::now();
    let mut log = Vec::new();
    let result = loop {
        let started = Instant::now() - t0;
        let out = retry
            .untimed(&mut call, async {
                Err::<(), _>(E::Transient(attempt().unwrap().number()))
            })
            .await;
        // The call's number is the attempt's, once it has started.
        log.push((call.number(), started));
        match retry.after(&mut call, out, &ByTransient, |e| e) {
            Step::Done(result) => break result,
            Step::Retry(delay) => tokio::time::sleep(delay).await,
            _ => unreachable!(),
        }
    };
    assert_eq!(result, Err(E::Transient(4)));
    assert_eq!(
        log,
        [(1, secs(0)), (2, secs(2)), (3, secs(6)), (4, secs(14))]
    );
}

#[tokio::test(start_paused = true)]
async fn retrying_attempt_timed_applies_the_timeout() {
    let policy = RetryConfig::new()
        .timeout(secs(30))
        .timeout_factor(2.0)
        .build()
        .unwrap();
    let mut call = Call::new(&UNLISTED);
    let mut retry = Retrying::new(&policy, &mut call);
    let t0 = Instant::now();
    let out: Result<(), E> = retry
        .attempt(&mut call, E::from, std::future::pending())
        .await;
    assert_eq!(out, Err(E::TimedOut(TimedOut::new(secs(30)))));
    assert_eq!(Instant::now() - t0, secs(30));
    let Step::Retry(d) = retry.after(&mut call, out, &ByTransient, |e| e) else {
        panic!("a timeout is retried");
    };
    assert_eq!(d, ms(100));
    tokio::time::sleep(d).await;
    let out: Result<(), E> = retry
        .attempt(&mut call, E::from, std::future::pending())
        .await;
    assert_eq!(out, Err(E::TimedOut(TimedOut::new(secs(60)))));
    assert_eq!(Instant::now() - t0, ms(90_100));
}

// ---------------------------------------------------------------------------
// 9. Metrics.
// ---------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn metrics_after_a_known_sequence() {
    static FIGURES: Metrics = Metrics::new("known_sequence", module_path!());
    let policy = RetryConfig::new()
        .backoff(secs(1))
        .max_retries(2)
        .build()
        .unwrap();
    let run = |fail_until: u32, permanent: bool| {
        let policy = &policy;
        async move {
            drive_with(policy, &ByTransient, Some(&FIGURES), move |n| async move {
                if permanent {
                    Err(E::Permanent("no"))
                } else if n < fail_until {
                    Err(E::Transient(n))
                } else {
                    Ok(n)
                }
            })
            .await
            .result
        }
    };
    assert_eq!(FIGURES.snapshot().calls, 0);

    assert_eq!(run(1, false).await, Ok(1)); // 1 attempt, success
    assert_eq!(run(3, false).await, Ok(3)); // 3 attempts, success
    assert_eq!(run(1, true).await, Err(E::Permanent("no"))); // 1 attempt, failure
    assert_eq!(run(9, false).await, Err(E::Transient(3))); // 3 attempts, failure

    let s = FIGURES.snapshot();
    assert_eq!(s.name, "known_sequence");
    assert_eq!(s.module, module_path!());
    assert_eq!(s.calls, 4);
    assert_eq!(s.successes, 2);
    assert_eq!(s.failures, 2);
    assert_eq!(s.attempts, 8);
    assert_eq!(s.retries, 4);
    assert_eq!(s.timeouts, 0);
    assert_eq!(s.success_rate(), 0.5);
    assert_eq!(s.avg_attempts(), 2.0);
    assert_eq!(s.retry_rate(), 1.0);
}

#[tokio::test(start_paused = true)]
async fn metrics_rates_with_uneven_figures() {
    static FIGURES: Metrics = Metrics::new("uneven_rates", module_path!());
    let policy = RetryConfig::new()
        .backoff(secs(1))
        .max_retries(1)
        .build()
        .unwrap();
    // Three successes at once, one success after a retry.
    for fail_until in [1, 1, 1, 2] {
        let out = drive_with(&policy, &ByTransient, Some(&FIGURES), |n| async move {
            if n < fail_until {
                Err(E::Transient(n))
            } else {
                Ok(())
            }
        })
        .await;
        assert_eq!(out.result, Ok(()));
    }
    let s = FIGURES.snapshot();
    assert_eq!((s.calls, s.successes, s.failures), (4, 4, 0));
    assert_eq!((s.attempts, s.retries), (5, 1));
    assert_eq!(s.success_rate(), 1.0);
    assert_eq!(s.avg_attempts(), 1.25);
    assert_eq!(s.retry_rate(), 0.25);
}

#[tokio::test(start_paused = true)]
async fn a_call_is_counted_when_it_finishes() {
    static FIGURES: Metrics = Metrics::new("in_flight", module_path!());
    let policy = RetryConfig::new().build().unwrap();
    let mut call = Call::new(&FIGURES);
    let mut retry = Retrying::new(&policy, &mut call);
    let s = FIGURES.snapshot();
    assert_eq!((s.calls, s.attempts, s.successes, s.failures), (0, 0, 0, 0));
    let out = retry
        .untimed(&mut call, async { Err::<(), _>(E::Transient(1)) })
        .await;
    assert!(matches!(
        retry.after(&mut call, out, &ByTransient, |e| e),
        Step::Retry(_)
    ));
    // Running: its retry is counted, the call not yet.
    let s = FIGURES.snapshot();
    assert_eq!((s.calls, s.attempts, s.retries), (0, 1, 1));
    assert_eq!((s.successes, s.failures), (0, 0));
    assert_eq!(s.success_rate(), 0.0);
    let out = retry.untimed(&mut call, async { Ok::<_, E>(()) }).await;
    let Step::Done(out) = retry.after(&mut call, out, &ByTransient, |e| e) else {
        panic!("a success ends the call");
    };
    call.finish(&out);
    let s = FIGURES.snapshot();
    assert_eq!((s.calls, s.attempts, s.successes), (1, 2, 1));
}

#[tokio::test(start_paused = true)]
async fn metrics_get_and_all_find_a_static() {
    static FIGURES: Metrics = Metrics::new("findable_fn", "my_app::ocr");
    static NEVER_CALLED: Metrics = Metrics::new("never_called_fn", "my_app::ocr");
    assert_eq!(FIGURES.name(), "findable_fn");
    assert_eq!(FIGURES.module(), "my_app::ocr");

    // A static made by hand is listed once asked to (the attributes list
    // theirs when the program is linked).
    assert!(metrics::get("findable_fn").is_none());
    assert!(!metrics::all().iter().any(|s| s.name() == "findable_fn"));
    FIGURES.listed();

    let policy = RetryConfig::new().backoff(secs(1)).build().unwrap();
    let out = drive_with(&policy, &ByTransient, Some(&FIGURES), |n| async move {
        if n < 2 {
            Err(E::Transient(n))
        } else {
            Ok(())
        }
    })
    .await;
    assert_eq!(out.result, Ok(()));

    let by_name = metrics::get("findable_fn")
        .expect("found by bare name")
        .snapshot();
    let by_path = metrics::get("my_app::ocr::findable_fn")
        .expect("found by full path")
        .snapshot();
    assert_eq!(by_name, by_path);
    assert_eq!(by_name, FIGURES.snapshot());
    assert_eq!(
        (by_name.calls, by_name.attempts, by_name.successes),
        (1, 2, 1)
    );
    assert!(metrics::get("other::findable_fn").is_none());
    assert!(metrics::get("my_app::findable_fn").is_none());
    assert!(metrics::get("ocr::findable_fn").is_none());

    let listed: Vec<_> = metrics::all()
        .into_iter()
        .filter(|s| s.name() == "findable_fn")
        .map(|s| s.snapshot())
        .collect();
    assert_eq!(listed, [by_name]);

    assert!(metrics::get("never_called_fn").is_none());
    assert!(!metrics::all().iter().any(|s| s.name() == "never_called_fn"));
    assert_eq!(NEVER_CALLED.snapshot().calls, 0);

    // Listed once, however often asked.
    FIGURES.listed();
    drive_with(&policy, &ByTransient, Some(&FIGURES), |_| async {
        Ok::<_, E>(())
    })
    .await;
    let listed = metrics::all()
        .into_iter()
        .filter(|s| s.name() == "findable_fn")
        .count();
    assert_eq!(listed, 1);
    assert_eq!(metrics::get("findable_fn").unwrap().snapshot().calls, 2);
}

// ---------------------------------------------------------------------------
// 10. Configuration errors.
// ---------------------------------------------------------------------------

#[test]
fn config_errors_name_the_field() {
    let cases: [(&str, RetryConfig, &str); 15] = [
        (
            "attempts",
            RetryConfig::new().attempts(0),
            "must be at least 1",
        ),
        (
            "backoff",
            RetryConfig::new().backoff(Duration::ZERO),
            "must be greater than zero",
        ),
        (
            "factor",
            RetryConfig::new().factor(0.5),
            "must be at least 1.0, found 0.5",
        ),
        (
            "factor",
            RetryConfig::new().factor(0.999),
            "must be at least 1.0, found 0.999",
        ),
        (
            "factor",
            RetryConfig::new().factor(f64::NAN),
            "must be at least 1.0, found NaN",
        ),
        (
            "factor",
            RetryConfig::new().factor(f64::INFINITY),
            "must be at least 1.0, found inf",
        ),
        (
            "factor",
            RetryConfig::new().schedule(Schedule::Linear).factor(3.0),
            "applies only to `schedule = \"exponential\"`",
        ),
        (
            "max_delay",
            RetryConfig::new().max_delay(Duration::ZERO),
            "must be greater than zero",
        ),
        (
            "max_delay",
            RetryConfig::new().backoff(secs(2)).max_delay(ms(1999)),
            "(1.999s) is below `backoff` (2s); the cap must be at least the first delay",
        ),
        (
            "timeout",
            RetryConfig::new().timeout(Duration::ZERO),
            "must be greater than zero",
        ),
        (
            "timeout",
            RetryConfig::new().timeout(secs(10)).deadline(secs(5)),
            "(10s) is longer than `deadline` (5s), so it can never fire",
        ),
        (
            "timeout_factor",
            RetryConfig::new().timeout(secs(1)).timeout_factor(0.5),
            "must be at least 1.0, found 0.5",
        ),
        (
            "timeout_factor",
            RetryConfig::new().timeout_factor(2.0),
            "needs `timeout` to grow",
        ),
        (
            "timeout_factor",
            RetryConfig::new()
                .timeout(secs(1))
                .timeout_factor(f64::INFINITY),
            "must be at least 1.0, found inf",
        ),
        (
            "deadline",
            RetryConfig::new().deadline(Duration::ZERO),
            "must be greater than zero",
        ),
    ];
    for (field, config, reason) in cases {
        let err = config.build().unwrap_err();
        assert_eq!(err.field(), field, "{config:?}");
        assert_eq!(err.reason(), reason, "{config:?}");
        assert_eq!(err.to_string(), format!("`{field}` {reason}"));
    }
}

#[test]
fn config_error_names_the_first_bad_field() {
    let err = RetryConfig::new()
        .attempts(0)
        .backoff(Duration::ZERO)
        .deadline(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(err.field(), "attempts");
    let err = RetryConfig::new()
        .factor(0.0)
        .timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(err.field(), "factor");
}

#[test]
fn boundary_values_are_accepted() {
    let ok = [
        RetryConfig::new().attempts(1),
        RetryConfig::new().max_retries(0),
        RetryConfig::new().backoff(Duration::from_nanos(1)),
        RetryConfig::new().factor(1.0),
        RetryConfig::new().backoff(secs(2)).max_delay(secs(2)),
        RetryConfig::new().timeout(Duration::from_nanos(1)),
        RetryConfig::new().timeout(secs(1)).timeout_factor(1.0),
        RetryConfig::new().deadline(Duration::from_nanos(1)),
        RetryConfig::new().max_delay(Duration::MAX),
        RetryConfig::new().max_retries(u32::MAX),
        RetryConfig::new().attempts(u32::MAX),
    ];
    for config in ok {
        let policy = config.build().unwrap_or_else(|e| panic!("{config:?}: {e}"));
        assert_eq!(*policy.config(), config);
    }
    assert_eq!(RetryConfig::default(), RetryConfig::new());
}

#[test]
fn a_policy_can_be_built_at_compile_time() {
    const POLICY: RetryPolicy = match RetryConfig::new().attempts(5).build() {
        Ok(p) => p,
        Err(_) => panic!("bad policy"),
    };
    const BAD: Result<RetryPolicy, resilient_core::ConfigError> =
        RetryConfig::new().factor(0.0).build();
    assert_eq!(POLICY.max_retries(), 4);
    assert_eq!(BAD.unwrap_err().field(), "factor");
}
