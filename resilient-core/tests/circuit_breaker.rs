//! The breaker's runtime API under a paused clock: every transition, the
//! rate windows, slow calls, cooldown growth and jitter, manual control,
//! sharing, and the figures.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use resilient_core::circuit_breaker::{
    self, BreakerConfig, BreakerPolicy, CircuitBreaker, Head, KeyedBreakers, SharedBreaker, State,
    Transition, Window,
};
use resilient_core::metrics::Metrics;
use resilient_core::{CircuitOpen, Transient};
use tokio::time::{advance, sleep};

#[derive(Debug, PartialEq)]
enum Error {
    Down,
    Ignored,
    Open(CircuitOpen),
}

impl From<CircuitOpen> for Error {
    fn from(o: CircuitOpen) -> Self {
        Error::Open(o)
    }
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn breaker(config: BreakerConfig) -> CircuitBreaker {
    CircuitBreaker::new("test", config.build().unwrap())
}

async fn ok<H: Head>(b: &CircuitBreaker<H>) -> Result<(), Error> {
    b.call(async { Ok(()) }).await
}

async fn fail<H: Head>(b: &CircuitBreaker<H>) -> Result<(), Error> {
    b.call(async { Err(Error::Down) }).await
}

/// A call that takes `d` and then returns `out`.
async fn slow(b: &CircuitBreaker, d: Duration, out: Result<(), Error>) -> Result<(), Error> {
    b.call(async move {
        sleep(d).await;
        out
    })
    .await
}

fn refusal(r: Result<(), Error>) -> CircuitOpen {
    match r {
        Err(Error::Open(o)) => o,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn opens_after_threshold_consecutive_failures() {
    let b = breaker(BreakerConfig::new().threshold(3));
    fail(&b).await.unwrap_err();
    fail(&b).await.unwrap_err();
    ok(&b).await.unwrap(); // resets the run of failures
    fail(&b).await.unwrap_err();
    fail(&b).await.unwrap_err();
    assert_eq!(b.state(), State::Closed);
    assert_eq!(fail(&b).await, Err(Error::Down));
    assert_eq!(b.state(), State::Open);
}

#[tokio::test(start_paused = true)]
async fn an_open_breaker_refuses_without_running_the_body() {
    let b = breaker(BreakerConfig::new().threshold(1).cooldown(secs(60)));
    fail(&b).await.unwrap_err();
    advance(secs(15)).await;
    let ran = std::cell::Cell::new(false);
    let open = refusal(
        b.call(async {
            ran.set(true);
            Ok(())
        })
        .await,
    );
    assert!(!ran.get());
    assert_eq!(open.retry_after(), Some(secs(45)));
    assert!(open.is_transient());
    assert_eq!(open.breaker(), "test");
    assert_eq!(b.retry_after(), Some(secs(45)));
}

#[tokio::test(start_paused = true)]
async fn after_the_cooldown_one_probe_runs_and_its_success_closes() {
    let b = breaker(BreakerConfig::new().threshold(1).cooldown(secs(60)));
    fail(&b).await.unwrap_err();
    advance(secs(59)).await;
    refusal(ok(&b).await);
    advance(secs(1)).await;
    // The probe is slow; the calls that arrive meanwhile are refused with
    // no wait to report (a probe is deciding).
    let (probe, other) = tokio::join!(slow(&b, secs(5), Ok(())), async {
        sleep(secs(1)).await;
        assert_eq!(b.state(), State::HalfOpen);
        ok(&b).await
    });
    probe.unwrap();
    assert_eq!(refusal(other).retry_after(), Some(Duration::ZERO));
    assert_eq!(b.state(), State::Closed);
    ok(&b).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_failed_probe_reopens_for_a_fresh_cooldown() {
    let b = breaker(BreakerConfig::new().threshold(1).cooldown(secs(10)));
    fail(&b).await.unwrap_err();
    advance(secs(10)).await;
    assert_eq!(fail(&b).await, Err(Error::Down)); // the probe ran
    assert_eq!(b.state(), State::Open);
    assert_eq!(b.retry_after(), Some(secs(10)));
}

#[tokio::test(start_paused = true)]
async fn half_open_admits_exactly_half_open_probes_and_close_after_closes() {
    let b = breaker(
        BreakerConfig::new()
            .threshold(1)
            .cooldown(secs(1))
            .half_open(3)
            .close_after(2),
    );
    fail(&b).await.unwrap_err();
    advance(secs(1)).await;
    // Five one-second calls at once.
    let call = || slow(&b, secs(1), Ok(()));
    let (r1, r2, r3, r4, r5) = tokio::join!(call(), call(), call(), call(), call());
    let admitted = [r1, r2, r3, r4, r5].iter().filter(|r| r.is_ok()).count();
    assert_eq!(admitted, 3);
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.snapshot().rejections, 2);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_probe_gives_its_permit_back() {
    let b = breaker(BreakerConfig::new().threshold(1).cooldown(secs(1)));
    fail(&b).await.unwrap_err();
    advance(secs(1)).await;
    // The probe is dropped by a timeout before it finishes.
    let cut = tokio::time::timeout(secs(1), slow(&b, secs(10), Ok(()))).await;
    assert!(cut.is_err());
    assert_eq!(b.state(), State::HalfOpen);
    // Not stuck: the next caller probes, and closes the breaker.
    ok(&b).await.unwrap();
    assert_eq!(b.state(), State::Closed);
}

#[tokio::test(start_paused = true)]
async fn a_panicking_probe_gives_its_permit_back() {
    static B: CircuitBreaker = CircuitBreaker::new(
        "panicking",
        match BreakerConfig::new()
            .threshold(1)
            .cooldown(Duration::from_secs(1))
            .build()
        {
            Ok(p) => p,
            Err(_) => panic!(),
        },
    );
    fail(&B).await.unwrap_err();
    advance(secs(1)).await;
    let task = tokio::spawn(async {
        B.call(async {
            if true {
                panic!("the probe's body panics");
            }
            Ok::<(), Error>(())
        })
        .await
    });
    assert!(task.await.unwrap_err().is_panic());
    assert_eq!(B.state(), State::HalfOpen);
    ok(&B).await.unwrap();
    assert_eq!(B.state(), State::Closed);
}

#[tokio::test(start_paused = true)]
async fn a_failure_rate_over_the_last_n_calls_opens_once_min_calls_are_seen() {
    let b = breaker(
        BreakerConfig::new()
            .failure_rate(0.5)
            .window(Window::Calls(10))
            .min_calls(6),
    );
    // 5 failures in 5 calls: 100%, but below min_calls.
    for _ in 0..5 {
        fail(&b).await.unwrap_err();
    }
    assert_eq!(b.state(), State::Closed);
    // The rate is judged after every outcome, a success too: at 6 calls,
    // 5 failures are 83%.
    ok(&b).await.unwrap();
    assert_eq!(b.state(), State::Open);
    // The rate that opened it stays visible while it is open.
    assert_eq!(b.snapshot().failure_rate, 5.0 / 6.0);
}

#[tokio::test(start_paused = true)]
async fn old_calls_leave_a_count_window() {
    let b = breaker(
        BreakerConfig::new()
            .failure_rate(0.5)
            .window(Window::Calls(4))
            .min_calls(4),
    );
    fail(&b).await.unwrap_err();
    for _ in 0..4 {
        ok(&b).await.unwrap();
    }
    // The first failure has left the window: 1 failure in 4 is 25%.
    fail(&b).await.unwrap_err();
    assert_eq!(b.snapshot().failure_rate, 0.25);
    assert_eq!(b.state(), State::Closed);
    fail(&b).await.unwrap_err(); // 2 in 4
    assert_eq!(b.state(), State::Open);
}

#[tokio::test(start_paused = true)]
async fn a_time_window_forgets_calls_older_than_its_span() {
    let b = breaker(
        BreakerConfig::new()
            .failure_rate(0.6)
            .window(Window::Time(secs(10)))
            .min_calls(3),
    );
    fail(&b).await.unwrap_err();
    ok(&b).await.unwrap();
    advance(secs(11)).await;
    // The old calls are gone: this failure is 1 of 1, below min_calls.
    fail(&b).await.unwrap_err();
    assert_eq!(b.state(), State::Closed);
    ok(&b).await.unwrap(); // 1 of 2
    assert_eq!(b.state(), State::Closed);
    fail(&b).await.unwrap_err(); // 2 of 3
    assert_eq!(b.state(), State::Open);
}

#[tokio::test(start_paused = true)]
async fn slow_successes_count_as_failures_but_return_their_value() {
    let b = breaker(BreakerConfig::new().threshold(2).slow_call(secs(2)));
    slow(&b, secs(1), Ok(())).await.unwrap(); // not slow
    slow(&b, secs(3), Ok(())).await.unwrap();
    assert_eq!(b.state(), State::Closed);
    slow(&b, secs(3), Ok(())).await.unwrap();
    assert_eq!(b.state(), State::Open);
    // The figures agree with the state: the slow calls counted as failures.
    let s = b.snapshot();
    assert_eq!((s.successes, s.slow, s.failures), (1, 2, 2));
}

#[tokio::test(start_paused = true)]
async fn a_slow_probe_reopens() {
    let b = breaker(
        BreakerConfig::new()
            .threshold(1)
            .cooldown(secs(5))
            .slow_call(secs(2)),
    );
    fail(&b).await.unwrap_err();
    advance(secs(5)).await;
    slow(&b, secs(3), Ok(())).await.unwrap();
    assert_eq!(b.state(), State::Open);
}

#[tokio::test(start_paused = true)]
async fn slow_rate_opens_on_the_share_of_slow_calls_alone() {
    let b = breaker(
        BreakerConfig::new()
            .failure_rate(1.0)
            .window(Window::Calls(4))
            .min_calls(4)
            .slow_call(secs(2))
            .slow_rate(0.5),
    );
    fail(&b).await.unwrap_err();
    slow(&b, secs(3), Ok(())).await.unwrap();
    ok(&b).await.unwrap();
    assert_eq!(b.state(), State::Closed);
    // 1 failure (25%, under 100%) and 2 slow (50%) in 4.
    slow(&b, secs(3), Ok(())).await.unwrap();
    assert_eq!(b.state(), State::Open);
}

#[tokio::test(start_paused = true)]
async fn the_cooldown_doubles_on_failed_probes_up_to_max_cooldown_and_resets_on_close() {
    let b = breaker(
        BreakerConfig::new()
            .threshold(1)
            .cooldown(secs(10))
            .max_cooldown(secs(35)),
    );
    fail(&b).await.unwrap_err();
    let mut cooldowns = vec![b.retry_after().unwrap()];
    for _ in 0..3 {
        advance(b.retry_after().unwrap()).await;
        fail(&b).await.unwrap_err(); // a failed probe
        cooldowns.push(b.retry_after().unwrap());
    }
    assert_eq!(cooldowns, [secs(10), secs(20), secs(35), secs(35)]);
    advance(secs(35)).await;
    ok(&b).await.unwrap();
    fail(&b).await.unwrap_err();
    assert_eq!(b.retry_after(), Some(secs(10)));
}

#[tokio::test(start_paused = true)]
async fn cooldown_jitter_spreads_each_cooldown_and_replays_with_a_seed() {
    let spread = |seed| async move {
        resilient_core::seed_jitter(seed);
        let b = breaker(
            BreakerConfig::new()
                .threshold(1)
                .cooldown(secs(100))
                .cooldown_jitter(0.2),
        );
        let mut seen = Vec::new();
        for _ in 0..50 {
            fail(&b).await.unwrap_err();
            seen.push(b.retry_after().unwrap());
            b.reset();
        }
        seen
    };
    let first = spread(7).await;
    assert!(
        first.iter().all(|d| (secs(80)..=secs(120)).contains(d)),
        "{first:?}"
    );
    assert!(first.iter().any(|d| *d < secs(95)) && first.iter().any(|d| *d > secs(105)));
    assert_eq!(first, spread(7).await);
}

#[tokio::test(start_paused = true)]
async fn isolate_refuses_permanently_until_reset() {
    let b = breaker(BreakerConfig::new().cooldown(secs(1)));
    b.isolate();
    advance(secs(3600)).await;
    let open = refusal(ok(&b).await);
    assert_eq!(open.retry_after(), None);
    assert!(!open.is_transient());
    assert_eq!(b.state(), State::Isolated);
    b.reset();
    ok(&b).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn force_open_starts_a_cooldown_then_probes_as_usual() {
    let b = breaker(BreakerConfig::new().cooldown(secs(30)));
    b.force_open();
    assert_eq!(refusal(ok(&b).await).retry_after(), Some(secs(30)));
    advance(secs(30)).await;
    ok(&b).await.unwrap();
    assert_eq!(b.state(), State::Closed);
}

#[tokio::test(start_paused = true)]
async fn listeners_see_every_transition_in_order() {
    let b = breaker(BreakerConfig::new().threshold(1).cooldown(secs(5)));
    let seen: Arc<Mutex<Vec<Transition>>> = Arc::default();
    let log = seen.clone();
    b.subscribe(move |t| log.lock().unwrap().push(t.clone()));
    fail(&b).await.unwrap_err();
    advance(secs(5)).await;
    fail(&b).await.unwrap_err();
    advance(secs(5)).await;
    ok(&b).await.unwrap();
    let moves: Vec<_> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|t| (t.from, t.to, t.cooldown))
        .collect();
    assert_eq!(
        moves,
        [
            (State::Closed, State::Open, Some(secs(5))),
            (State::Open, State::HalfOpen, None),
            (State::HalfOpen, State::Open, Some(secs(5))),
            (State::Open, State::HalfOpen, None),
            (State::HalfOpen, State::Closed, None),
        ]
    );
    let s = b.snapshot();
    assert_eq!((s.transitions, s.opened), (5, 2));
}

#[tokio::test(start_paused = true)]
async fn record_if_passes_over_errors_that_are_not_the_service_s_fault() {
    let b = breaker(BreakerConfig::new().threshold(2));
    let only_down = |e: &Error| *e == Error::Down;
    for _ in 0..5 {
        let out = b
            .call_with(only_down, None, async { Err::<(), _>(Error::Ignored) })
            .await;
        assert_eq!(out, Err(Error::Ignored));
    }
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.snapshot().successes, 5);
}

#[tokio::test(start_paused = true)]
async fn the_figures_account_for_every_call() {
    static FIGURES: Metrics = Metrics::new("figures", module_path!());
    let b = breaker(BreakerConfig::new().threshold(2).cooldown(secs(1)));
    ok(&b).await.unwrap();
    fail(&b).await.unwrap_err();
    fail(&b).await.unwrap_err();
    for _ in 0..3 {
        let out = b
            .call_with(|_: &Error| true, Some(&FIGURES), async { Ok(()) })
            .await;
        refusal(out);
    }
    let s = b.snapshot();
    assert_eq!(
        (s.calls, s.successes, s.failures, s.rejections),
        (3, 1, 2, 3)
    );
    assert_eq!((s.state, s.transitions, s.opened), (State::Open, 1, 1));
    assert_eq!(FIGURES.snapshot().rejections, 3);
}

#[tokio::test(start_paused = true)]
async fn keyed_breakers_are_independent_and_bounded() {
    static PER_HOST: KeyedBreakers = KeyedBreakers::new(
        "per_host",
        match BreakerConfig::new().threshold(1).build() {
            Ok(p) => p,
            Err(_) => panic!(),
        },
        2,
    );
    fail(&PER_HOST.get("down.example")).await.unwrap_err();
    ok(&PER_HOST.get("up.example")).await.unwrap();
    assert_eq!(PER_HOST.get("down.example").state(), State::Open);
    assert_eq!(PER_HOST.get("up.example").state(), State::Closed);
    // A third host evicts the closed one, not the open one.
    ok(&PER_HOST.get("new.example")).await.unwrap();
    assert_eq!(PER_HOST.len(), 2);
    assert_eq!(PER_HOST.get("down.example").state(), State::Open);
    PER_HOST.listed();
    assert!(circuit_breaker::keyed("per_host").is_some());
}

#[test]
fn a_full_map_drops_a_key_not_used_since_the_last_drop() {
    static PER_TENANT: KeyedBreakers = KeyedBreakers::new("per_tenant", BreakerPolicy::DEFAULT, 2);
    let a = PER_TENANT.get("a");
    let b = PER_TENANT.get("b");
    assert!(Arc::ptr_eq(&a, &PER_TENANT.get("a"))); // a used, b not
    PER_TENANT.get("c"); // drops b
    assert!(Arc::ptr_eq(&a, &PER_TENANT.get("a")));
    assert!(!Arc::ptr_eq(&b, &PER_TENANT.get("b"))); // b is new: drops c
    assert_eq!(PER_TENANT.len(), 2);
    // Every key starts the next round unused: a used again stays.
    PER_TENANT.get("a");
    PER_TENANT.get("d");
    assert!(Arc::ptr_eq(&a, &PER_TENANT.get("a")));
}

#[tokio::test(start_paused = true)]
async fn shared_breakers_with_one_name_are_one_breaker() {
    const POLICY: resilient_core::circuit_breaker::BreakerPolicy =
        match BreakerConfig::new().threshold(1).build() {
            Ok(p) => p,
            Err(_) => panic!(),
        };
    static A: SharedBreaker = SharedBreaker::new("shared_vision", POLICY);
    static B: SharedBreaker = SharedBreaker::new("shared_vision", POLICY);
    fail(A.get()).await.unwrap_err();
    assert_eq!(B.get().state(), State::Open);
    assert!(std::ptr::eq(
        &*circuit_breaker::get("shared_vision").unwrap(),
        A.get()
    ));
}

#[tokio::test(start_paused = true)]
async fn io_errors_carry_the_refusal_and_its_wait() {
    let b = breaker(BreakerConfig::new().threshold(1).cooldown(secs(9)));
    let down = b
        .call(async { Err::<(), _>(std::io::Error::from(std::io::ErrorKind::ConnectionReset)) })
        .await;
    assert!(down.is_err());
    let refused = b
        .call(async { Ok::<(), std::io::Error>(()) })
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ResourceBusy);
    assert!(refused.is_transient());
    assert_eq!(refused.retry_after(), Some(secs(9)));
    b.isolate();
    let isolated = b
        .call(async { Ok::<(), std::io::Error>(()) })
        .await
        .unwrap_err();
    assert!(!isolated.is_transient());
}

#[test]
fn invalid_settings_name_the_field() {
    let field = |c: BreakerConfig| c.build().unwrap_err().field();
    let c = BreakerConfig::new;
    assert_eq!(field(c().threshold(0)), "threshold");
    assert_eq!(field(c().threshold(3).failure_rate(0.5)), "failure_rate");
    assert_eq!(field(c().failure_rate(0.0)), "failure_rate");
    assert_eq!(field(c().failure_rate(1.01)), "failure_rate");
    assert_eq!(field(c().failure_rate(f64::NAN)), "failure_rate");
    assert_eq!(
        field(c().failure_rate(0.5).window(Window::Calls(0))),
        "window"
    );
    assert_eq!(
        field(c().failure_rate(0.5).window(Window::Calls(10_001))),
        "window"
    );
    assert_eq!(
        field(
            c().failure_rate(0.5)
                .window(Window::Time(Duration::from_millis(5)))
        ),
        "window"
    );
    assert_eq!(
        field(c().failure_rate(0.5).window(Window::Calls(5)).min_calls(6)),
        "min_calls"
    );
    assert_eq!(field(c().min_calls(0)), "min_calls");
    assert_eq!(field(c().cooldown(Duration::ZERO)), "cooldown");
    assert_eq!(
        field(c().cooldown(secs(10)).max_cooldown(secs(5))),
        "max_cooldown"
    );
    assert_eq!(field(c().cooldown_jitter(1.0)), "cooldown_jitter");
    assert_eq!(field(c().cooldown_jitter(-0.1)), "cooldown_jitter");
    assert_eq!(field(c().half_open(0)), "half_open");
    assert_eq!(field(c().half_open(10_001)), "half_open");
    assert_eq!(field(c().close_after(0)), "close_after");
    assert_eq!(field(c().half_open(2).close_after(3)), "close_after");
    assert_eq!(field(c().slow_call(Duration::ZERO)), "slow_call");
    assert_eq!(field(c().slow_call(secs(1)).slow_rate(0.5)), "slow_rate");
    assert_eq!(field(c().failure_rate(0.5).slow_rate(0.5)), "slow_rate");
    assert_eq!(
        field(c().failure_rate(0.5).slow_call(secs(1)).slow_rate(1.5)),
        "slow_rate"
    );
    assert!(c()
        .failure_rate(0.5)
        .window(Window::Calls(5))
        .build()
        .is_ok()); // min_calls defaults to 5
}
