//! One test per defect that hostile conditions and other libraries' suites
//! found in the runtime (issue 11): each failed before its fix.

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use resilient_core::circuit_breaker::{BreakerConfig, CircuitBreaker, State, Window};
use resilient_core::{attempt, CircuitOpen, RetryConfig, Schedule, TimedOut, Transient};
use tokio::time::{advance, sleep, Instant};

#[derive(Debug, Clone, PartialEq)]
enum E {
    Down,
    Wait(Duration),
    Open(CircuitOpen),
    Late(TimedOut),
}

impl std::fmt::Display for E {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl Transient for E {
    fn is_transient(&self) -> bool {
        true
    }
    fn retry_after(&self) -> Option<Duration> {
        match self {
            E::Wait(d) => Some(*d),
            E::Open(o) => o.retry_after(),
            _ => None,
        }
    }
}

impl From<CircuitOpen> for E {
    fn from(o: CircuitOpen) -> Self {
        E::Open(o)
    }
}

impl From<TimedOut> for E {
    fn from(t: TimedOut) -> Self {
        E::Late(t)
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn breaker(config: BreakerConfig) -> CircuitBreaker {
    CircuitBreaker::new("defect", config.build().unwrap())
}

fn fail(b: &CircuitBreaker) {
    b.try_acquire().expect("admitted").failure();
}

fn succeed(b: &CircuitBreaker) {
    b.try_acquire().expect("admitted").success();
}

// ---- circuit breaker ------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_listener_that_panics_on_half_open_wedges_nothing() {
    let b = breaker(BreakerConfig::new().threshold(1).cooldown(ms(100)));
    b.subscribe(|t| {
        if t.to == State::HalfOpen {
            panic!("listener bug");
        }
    });
    fail(&b);
    advance(ms(100)).await;
    // The probe is admitted whatever the listener did, and closes it.
    let out: Result<u32, E> = b.call(async { Ok(1) }).await;
    assert_eq!(out, Ok(1));
    assert_eq!(b.state(), State::Closed);
    advance(Duration::from_secs(3600)).await;
    assert_eq!(b.call(async { Ok::<_, E>(2) }).await, Ok(2));
}

#[tokio::test(start_paused = true)]
async fn a_record_if_that_panics_on_a_probe_gives_the_permit_back() {
    static B: CircuitBreaker = CircuitBreaker::new("record_if_panics", {
        match BreakerConfig::new()
            .threshold(1)
            .cooldown(Duration::from_millis(100))
            .build()
        {
            Ok(p) => p,
            Err(_) => panic!(),
        }
    });
    fail(&B);
    advance(ms(100)).await;
    fn panics(_: &E) -> bool {
        panic!("predicate bug")
    }
    let probe = tokio::spawn(B.call_with(panics, None, async { Err::<(), _>(E::Down) }));
    assert!(probe.await.unwrap_err().is_panic());
    // The probe's place is back: the next call probes (and closes it).
    assert_eq!(B.call(async { Ok::<_, E>(()) }).await, Ok(()));
    assert_eq!(B.state(), State::Closed);
}

#[test]
fn a_listener_may_steer_its_own_breaker() {
    // A deadlock would hang: run it on a thread, and give up waiting.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        static B: CircuitBreaker = CircuitBreaker::new("steered", {
            match BreakerConfig::new().threshold(1).build() {
                Ok(p) => p,
                Err(_) => panic!(),
            }
        });
        B.subscribe(|t| match t.to {
            State::Open => B.isolate(),
            State::Isolated => B.reset(),
            _ => {}
        });
        fail(&B);
        done.send(B.state()).unwrap();
    });
    let state = finished
        .recv_timeout(Duration::from_secs(30))
        .expect("no deadlock");
    assert_eq!(state, State::Closed);
}

#[test]
fn the_rate_is_judged_after_a_success_too() {
    let b = breaker(
        BreakerConfig::new()
            .failure_rate(0.5)
            .window(Window::Calls(10))
            .min_calls(5),
    );
    for _ in 0..3 {
        fail(&b);
    }
    succeed(&b);
    assert_eq!(b.state(), State::Closed); // 4 calls: below min_calls
    succeed(&b); // 3 of 5 failed
    assert_eq!(b.state(), State::Open);
    // The rate that opened it stays visible.
    assert_eq!(b.snapshot().failure_rate, 0.6);
}

#[test]
fn reset_forgets_the_failures_of_a_closed_breaker() {
    let b = breaker(BreakerConfig::new().threshold(3));
    fail(&b);
    fail(&b);
    b.reset();
    fail(&b);
    assert_eq!(b.state(), State::Closed);
    let rate = breaker(
        BreakerConfig::new()
            .failure_rate(0.5)
            .window(Window::Calls(4))
            .min_calls(2),
    );
    fail(&rate);
    rate.reset();
    succeed(&rate);
    fail(&rate); // 1 of 2, not 2 of 3
    assert_eq!(rate.state(), State::Open);
    let rate = breaker(
        BreakerConfig::new()
            .failure_rate(0.6)
            .window(Window::Calls(4))
            .min_calls(2),
    );
    fail(&rate);
    rate.reset();
    succeed(&rate);
    fail(&rate); // 1 of 2 is below 0.6
    assert_eq!(rate.state(), State::Closed);
}

#[tokio::test(start_paused = true)]
async fn force_open_on_an_open_breaker_restarts_the_cooldown_without_a_transition() {
    let b = breaker(BreakerConfig::new().threshold(1).cooldown(ms(100)));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    b.subscribe(move |t| log.lock().unwrap().push((t.from, t.to)));
    fail(&b);
    advance(ms(60)).await;
    b.force_open();
    let s = b.snapshot();
    assert_eq!((s.transitions, s.opened), (1, 1));
    assert_eq!(*seen.lock().unwrap(), [(State::Closed, State::Open)]);
    // The cooldown restarted: 100 ms from the force, not from the trip.
    assert_eq!(b.retry_after(), Some(ms(100)));
}

#[tokio::test(start_paused = true)]
async fn a_steady_failure_rate_never_saturates_a_time_bucket() {
    let b = breaker(
        BreakerConfig::new()
            .failure_rate(0.6)
            .window(Window::Time(Duration::from_secs(600)))
            .min_calls(10),
    );
    // 40% failures, 200,000 calls in one bucket (a minute wide).
    for i in 0..200_000u32 {
        if i % 5 < 2 {
            fail(&b);
        } else {
            succeed(&b);
        }
    }
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.snapshot().failure_rate, 0.4);
}

#[tokio::test(start_paused = true)]
async fn failures_from_long_ago_never_count_again() {
    let b = breaker(
        BreakerConfig::new()
            .failure_rate(0.5)
            .window(Window::Time(Duration::from_millis(100)))
            .min_calls(2),
    );
    fail(&b);
    // 65,536 buckets of 10 ms later, exactly: the old tag would alias.
    advance(Duration::from_millis(10 * 65_536)).await;
    succeed(&b);
    succeed(&b);
    assert_eq!(b.snapshot().failure_rate, 0.0);
    assert_eq!(b.state(), State::Closed);
}

#[test]
fn a_probe_reported_after_two_million_transitions_changes_nothing() {
    // Transitions are counted in 32 bits: a late probe from 2^21 of them
    // ago (where the old 21-bit epoch wrapped) is recognised as stale.
    let b = breaker(BreakerConfig::new().cooldown(Duration::from_nanos(1)));
    b.force_open();
    std::thread::sleep(Duration::from_micros(10));
    let late = b.try_acquire().expect("a probe");
    assert!(late.is_probe());
    for _ in 0..(1 << 20) {
        b.force_open(); // half-open -> open
        std::thread::sleep(Duration::ZERO);
        while b.state() == State::Open {
            match b.try_acquire() {
                Ok(p) => drop(p), // open -> half-open, permit back
                Err(_) => std::hint::spin_loop(),
            }
        }
    }
    assert_eq!(b.state(), State::HalfOpen);
    late.success();
    assert_eq!(
        b.state(),
        State::HalfOpen,
        "a stale probe closed the breaker"
    );
}

#[tokio::test(start_paused = true)]
async fn huge_cooldowns_with_jitter_and_huge_windows_do_not_panic() {
    let b = breaker(
        BreakerConfig::new()
            .threshold(1)
            .cooldown(Duration::MAX)
            .cooldown_jitter(0.5),
    );
    fail(&b);
    assert_eq!(b.state(), State::Open);
    assert!(b.retry_after().unwrap() > Duration::from_secs(100 * 365 * 24 * 3600));
    let w = breaker(
        BreakerConfig::new()
            .failure_rate(0.5)
            .window(Window::Time(Duration::MAX))
            .min_calls(2),
    );
    fail(&w);
    fail(&w);
    assert_eq!(w.state(), State::Open);
}

#[test]
fn exact_shares_open_the_breaker() {
    // Every rate with two decimals that is a whole number of calls of a
    // 25- or 100-call window: that many failures open it, one fewer not.
    for n in [25u32, 100] {
        for hundredths in 1..=100u32 {
            if hundredths * n % 100 != 0 {
                continue;
            }
            let k = hundredths * n / 100;
            let rate = f64::from(hundredths) / 100.0;
            let run = |failures: u32| {
                let b = breaker(
                    BreakerConfig::new()
                        .failure_rate(rate)
                        .window(Window::Calls(n))
                        .min_calls(n),
                );
                for i in 0..n {
                    if i < n - failures {
                        succeed(&b);
                    } else {
                        fail(&b);
                    }
                }
                b.state()
            };
            assert_eq!(run(k), State::Open, "{k} of {n} at {rate}");
            if k > 0 {
                assert_eq!(run(k - 1), State::Closed, "{} of {n} at {rate}", k - 1);
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_time_window_is_judged_when_old_successes_leave() {
    let b = breaker(
        BreakerConfig::new()
            .failure_rate(0.6)
            .window(Window::Time(ms(100)))
            .min_calls(3),
    );
    succeed(&b);
    succeed(&b);
    advance(ms(50)).await;
    fail(&b);
    fail(&b);
    assert_eq!(b.state(), State::Closed); // 2 of 4
    advance(ms(60)).await; // the successes leave the window
    succeed(&b); // 2 of 3
    assert_eq!(b.state(), State::Open);
}

#[tokio::test(start_paused = true)]
async fn slow_calls_agree_in_state_figures_and_rate() {
    let b = breaker(BreakerConfig::new().threshold(1).slow_call(ms(10)));
    let out = b
        .call(async {
            sleep(ms(20)).await;
            Ok::<_, E>(())
        })
        .await;
    assert_eq!(out, Ok(()));
    assert_eq!(b.state(), State::Open);
    let s = b.snapshot();
    assert_eq!((s.successes, s.failures, s.slow), (0, 1, 1));

    // With a slow rate of their own, a slow failure is slow too.
    let r = breaker(
        BreakerConfig::new()
            .failure_rate(1.0)
            .slow_call(ms(10))
            .slow_rate(0.5)
            .window(Window::Calls(2))
            .min_calls(2),
    );
    let _ = r
        .call(async {
            sleep(ms(20)).await;
            Err::<(), _>(E::Down)
        })
        .await;
    assert_eq!(r.snapshot().slow, 1);
    let _ = r.call(async { Ok::<_, E>(()) }).await; // 1 of 2 slow
    assert_eq!(r.state(), State::Open);
}

#[tokio::test(start_paused = true)]
async fn a_late_outcome_is_left_out_in_rate_mode_as_in_consecutive_mode() {
    let b = breaker(
        BreakerConfig::new()
            .failure_rate(0.5)
            .window(Window::Calls(2))
            .min_calls(1)
            .cooldown(ms(100)),
    );
    // Admitted while closed, reported after an open and a close.
    let late = b.try_acquire().unwrap();
    fail(&b);
    assert_eq!(b.state(), State::Open);
    advance(ms(100)).await;
    succeed(&b); // the probe closes it
    assert_eq!(b.state(), State::Closed);
    late.failure();
    assert_eq!(
        b.state(),
        State::Closed,
        "a stale failure tripped the fresh window"
    );
}

#[tokio::test(start_paused = true)]
async fn isolation_keeps_the_cooldowns_growth() {
    let b = breaker(
        BreakerConfig::new()
            .threshold(1)
            .cooldown(ms(100))
            .max_cooldown(Duration::from_secs(10)),
    );
    fail(&b); // 100 ms
    advance(ms(100)).await;
    fail(&b); // a failed probe: 200 ms
    advance(ms(200)).await;
    fail(&b); // 400 ms
    b.isolate();
    b.force_open();
    assert_eq!(b.retry_after(), Some(ms(400)));
    b.reset();
    b.force_open();
    assert_eq!(b.retry_after(), Some(ms(100)));
}

// ---- retry, idempotency ----------------------------------------------------

#[tokio::test(start_paused = true)]
async fn one_attempt_gives_one_key_however_often_read() {
    let policy = RetryConfig::new()
        .max_retries(2)
        .backoff(ms(1))
        .build()
        .unwrap();
    let keys = Arc::new(Mutex::new(Vec::new()));
    let seen = keys.clone();
    let _ = policy
        .run(|| {
            let seen = seen.clone();
            async move {
                let a = attempt().unwrap();
                seen.lock().unwrap().push(a.idempotency_key());
                seen.lock().unwrap().push(a.idempotency_key());
                seen.lock()
                    .unwrap()
                    .push(attempt().unwrap().idempotency_key());
                Err::<(), _>(E::Down)
            }
        })
        .await;
    let keys = keys.lock().unwrap();
    assert_eq!(keys.len(), 9);
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
}

#[tokio::test(start_paused = true)]
async fn a_huge_constant_backoff_under_a_deadline_and_an_endless_retry_after_do_not_panic() {
    let policy = RetryConfig::new()
        .schedule(Schedule::Constant)
        .backoff(Duration::from_secs(u64::MAX / 4))
        .max_delay(Duration::MAX)
        .deadline(Duration::from_secs(60))
        .build()
        .unwrap();
    let start = Instant::now();
    let out = policy
        .run(|| async { Err::<(), _>(E::Wait(Duration::from_secs(u64::MAX))) })
        .await;
    assert_eq!(out, Err(E::Wait(Duration::from_secs(u64::MAX))));
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[test]
fn the_largest_retry_counts_are_accepted_naming_the_right_key_otherwise() {
    assert_eq!(
        RetryConfig::new()
            .max_retries(u32::MAX)
            .build()
            .unwrap()
            .max_retries(),
        u32::MAX
    );
}

#[cfg(feature = "policy-files")]
#[test]
fn the_file_takes_the_largest_retry_count_and_names_the_key_beyond() {
    let p = resilient_core::policy::Policies::from_toml("[p.retry]\nmax = 4294967295\n").unwrap();
    assert_eq!(p.get("p").unwrap().retry.unwrap().max_retries(), u32::MAX);
    let e =
        resilient_core::policy::Policies::from_toml("[p.retry]\nmax = 4294967296\n").unwrap_err();
    assert_eq!(
        (e.key(), e.message()),
        ("p.retry.max", "is too large (at most 4294967295)")
    );
}

// ---- executor ---------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn executors_leave_nothing_behind() {
    use resilient_core::executor::Executor;
    use resilient_core::policy::{Policies, Policy};
    static BUILT: AtomicU32 = AtomicU32::new(0);
    for i in 0..50 {
        let mut tools: Executor<u32, u32, E> = Executor::new();
        tools.register(format!("tool_{i}"), |n| async move { Ok(n) });
        let breaker = BreakerConfig::new().threshold(2).build().unwrap();
        let mut policies = Policies::new();
        policies.insert(
            format!("tool_{i}"),
            Policy {
                circuit_breaker: Some(breaker),
                ..Policy::default()
            },
        );
        tools.set_policies(policies);
        assert_eq!(tools.run(&format!("tool_{i}"), 7).await.unwrap(), 7);
        assert!(resilient_core::circuit_breaker::get(&format!("tool_{i}")).is_some());
        assert!(resilient_core::metrics::get(&format!("tool_{i}")).is_some());
        BUILT.fetch_add(1, SeqCst);
    }
    assert_eq!(BUILT.load(SeqCst), 50);
    for i in 0..50 {
        assert!(resilient_core::circuit_breaker::get(&format!("tool_{i}")).is_none());
        assert!(resilient_core::metrics::get(&format!("tool_{i}")).is_none());
    }
}

#[test]
fn a_count_window_stays_exact_over_millions_of_calls() {
    let b = breaker(
        BreakerConfig::new()
            .failure_rate(0.5)
            .window(Window::Calls(1000))
            .min_calls(1000),
    );
    // 30% failures, in a pattern that repeats every 10 calls.
    for i in 0..2_000_000u32 {
        if i % 10 < 3 {
            fail(&b);
        } else {
            succeed(&b);
        }
    }
    let s = b.snapshot();
    assert_eq!(s.state, State::Closed);
    assert_eq!(s.failure_rate, 0.3);
    assert_eq!((s.calls, s.failures), (2_000_000, 600_000));
}
