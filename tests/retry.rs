//! `#[retry]` and `#[timeout]` as users write them, under a paused clock:
//! exact attempt counts and delay schedules.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::{secs, Clock, Flaky, ServiceError};
use resilient_async::{retry, timeout};

#[tokio::test(start_paused = true)]
async fn tutorial_backoff_waits_2_4_8_then_returns_the_last_error() {
    static CLOCK: Clock = Clock::new_const();
    #[retry(max = 3, backoff = 2.0)]
    async fn ocr() -> Result<u32, ServiceError> {
        CLOCK.mark();
        Err(ServiceError::Unavailable(CLOCK.marks().len() as u32))
    }
    assert_eq!(ocr().await, Err(ServiceError::Unavailable(4)));
    assert_eq!(CLOCK.marks(), secs(&[0.0, 2.0, 6.0, 14.0]));
}

#[tokio::test(start_paused = true)]
async fn succeeds_once_the_service_recovers() {
    static SERVICE: Flaky = Flaky::new(2);
    #[retry(attempts = 5, backoff = "100ms")]
    async fn call() -> Result<u32, ServiceError> {
        SERVICE.call()
    }
    let start = tokio::time::Instant::now();
    assert_eq!(call().await, Ok(3));
    assert_eq!(SERVICE.calls(), 3);
    assert_eq!(start.elapsed(), Duration::from_millis(300));
}

#[tokio::test(start_paused = true)]
async fn permanent_errors_are_not_retried() {
    static CALLS: AtomicU32 = AtomicU32::new(0);
    #[retry(max = 5)]
    async fn login() -> Result<(), ServiceError> {
        CALLS.fetch_add(1, Ordering::SeqCst);
        Err(ServiceError::Unauthorized)
    }
    assert_eq!(login().await, Err(ServiceError::Unauthorized));
    assert_eq!(CALLS.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn linear_and_constant_schedules_with_a_cap() {
    static LINEAR: Clock = Clock::new_const();
    static CONSTANT: Clock = Clock::new_const();
    #[retry(max = 4, backoff = 1, schedule = "linear", max_delay = "3s")]
    async fn linear() -> Result<(), ServiceError> {
        LINEAR.mark();
        Err(ServiceError::Unavailable(0))
    }
    #[retry(max = 3, backoff = "500ms", schedule = "constant")]
    async fn constant() -> Result<(), ServiceError> {
        CONSTANT.mark();
        Err(ServiceError::Unavailable(0))
    }
    let _ = linear().await;
    let _ = constant().await;
    assert_eq!(LINEAR.marks(), secs(&[0.0, 1.0, 3.0, 6.0, 9.0]));
    assert_eq!(CONSTANT.marks(), secs(&[0.0, 0.5, 1.0, 1.5]));
}

#[tokio::test(start_paused = true)]
async fn factor_and_max_delay() {
    static CLOCK: Clock = Clock::new_const();
    #[retry(max = 4, backoff = 1, factor = 3.0, max_delay = "10s")]
    async fn call() -> Result<(), ServiceError> {
        CLOCK.mark();
        Err(ServiceError::Unavailable(0))
    }
    let _ = call().await;
    // 1, 3, 9, then 27 capped at 10.
    assert_eq!(CLOCK.marks(), secs(&[0.0, 1.0, 4.0, 13.0, 23.0]));
}

#[tokio::test(start_paused = true)]
async fn retry_after_replaces_a_shorter_backoff() {
    static CLOCK: Clock = Clock::new_const();
    #[retry(max = 2, backoff = "100ms")]
    async fn call() -> Result<(), ServiceError> {
        CLOCK.mark();
        Err(ServiceError::RateLimited {
            wait: Duration::from_secs(5),
        })
    }
    let _ = call().await;
    assert_eq!(CLOCK.marks(), secs(&[0.0, 5.0, 10.0]));
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_max_delay_gives_up_at_once() {
    static CALLS: AtomicU32 = AtomicU32::new(0);
    #[retry(max = 5, max_delay = "10s")]
    async fn call() -> Result<(), ServiceError> {
        CALLS.fetch_add(1, Ordering::SeqCst);
        Err(ServiceError::RateLimited {
            wait: Duration::from_secs(60),
        })
    }
    let start = tokio::time::Instant::now();
    assert!(matches!(
        call().await,
        Err(ServiceError::RateLimited { .. })
    ));
    assert_eq!(CALLS.load(Ordering::SeqCst), 1);
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn jitter_never_goes_below_retry_after() {
    static CLOCK: Clock = Clock::new_const();
    #[retry(max = 3, backoff = "1s", jitter)]
    async fn call() -> Result<(), ServiceError> {
        CLOCK.mark();
        Err(ServiceError::RateLimited {
            wait: Duration::from_secs(2),
        })
    }
    resilient_async::seed_jitter(3);
    let _ = call().await;
    let marks = CLOCK.marks();
    for pair in marks.windows(2) {
        let delay = pair[1] - pair[0];
        assert!(delay >= Duration::from_secs(2), "{delay:?}");
        assert!(delay <= Duration::from_secs(30), "{delay:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn seeded_jitter_repeats_exactly() {
    static CLOCK: Clock = Clock::new_const();
    #[retry(max = 4, backoff = "1s", jitter = "full")]
    async fn call() -> Result<(), ServiceError> {
        CLOCK.mark();
        Err(ServiceError::Unavailable(0))
    }
    resilient_async::seed_jitter(11);
    let _ = call().await;
    resilient_async::seed_jitter(11);
    let _ = call().await;
    let marks = CLOCK.marks();
    let gaps: Vec<_> = marks.windows(2).map(|w| w[1] - w[0]).collect();
    // Attempts 1-5 of the first call, 6-10 of the second; gap 5 is between calls.
    assert_eq!(gaps[0..4], gaps[5..9]);
    assert!(gaps[0] <= Duration::from_secs(1) && gaps[1] <= Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn per_attempt_timeout_grows_by_timeout_factor() {
    static CLOCK: Clock = Clock::new_const();
    #[retry(max = 2, backoff = "100ms", timeout = "30s", timeout_factor = 2.0)]
    async fn slow_llm() -> Result<(), ServiceError> {
        CLOCK.mark();
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(())
    }
    let err = slow_llm().await.unwrap_err();
    assert_eq!(
        err,
        ServiceError::TimedOut(resilient_async::TimedOut::new(Duration::from_secs(120)))
    );
    // 30 s attempt + 0.1 s, 60 s attempt + 0.2 s, then the 120 s attempt.
    assert_eq!(CLOCK.marks(), secs(&[0.0, 30.1, 90.3]));
    let figures = resilient_async::metrics::get("slow_llm")
        .unwrap()
        .snapshot();
    assert_eq!(
        (figures.timeouts, figures.attempts, figures.failures),
        (3, 3, 1)
    );
}

#[tokio::test(start_paused = true)]
async fn deadline_never_sleeps_past_it_and_clamps_the_last_attempt() {
    static CLOCK: Clock = Clock::new_const();
    #[retry(max = 10, backoff = "1s", timeout = "4s", deadline = "10s")]
    async fn call() -> Result<(), ServiceError> {
        CLOCK.mark();
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(())
    }
    let start = tokio::time::Instant::now();
    let err = call().await.unwrap_err();
    // 0-4 attempt, sleep 1, 5-9 attempt, sleep 2 would end at 11 > 10: give up.
    assert_eq!(CLOCK.marks(), secs(&[0.0, 5.0]));
    assert_eq!(start.elapsed(), Duration::from_secs(9));
    assert!(matches!(err, ServiceError::TimedOut(_)));

    static CLAMPED: Clock = Clock::new_const();
    #[retry(max = 10, backoff = "1s", timeout = "4s", deadline = "7s")]
    async fn clamped() -> Result<(), ServiceError> {
        CLAMPED.mark();
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(())
    }
    let start = tokio::time::Instant::now();
    let err = clamped().await.unwrap_err();
    // 0-4 attempt, sleep 1, then only 2 s are left of the 7 s budget.
    assert_eq!(CLAMPED.marks(), secs(&[0.0, 5.0]));
    assert_eq!(start.elapsed(), Duration::from_secs(7));
    assert_eq!(
        err,
        ServiceError::TimedOut(resilient_async::TimedOut::new(Duration::from_secs(2)))
    );
}

#[tokio::test(start_paused = true)]
async fn timeout_stacked_in_either_order_bounds_each_attempt() {
    static ABOVE: Clock = Clock::new_const();
    static BELOW: Clock = Clock::new_const();
    #[timeout("1s")]
    #[retry(max = 2, backoff = "1s")]
    async fn timeout_written_first() -> Result<(), ServiceError> {
        ABOVE.mark();
        tokio::time::sleep(Duration::from_secs(5)).await;
        Ok(())
    }
    #[retry(max = 2, backoff = "1s")]
    #[timeout("1s")]
    async fn retry_written_first() -> Result<(), ServiceError> {
        BELOW.mark();
        tokio::time::sleep(Duration::from_secs(5)).await;
        Ok(())
    }
    assert!(matches!(
        timeout_written_first().await,
        Err(ServiceError::TimedOut(_))
    ));
    assert!(matches!(
        retry_written_first().await,
        Err(ServiceError::TimedOut(_))
    ));
    assert_eq!(ABOVE.marks(), secs(&[0.0, 2.0, 5.0]));
    assert_eq!(BELOW.marks(), ABOVE.marks());
}

/// The time limit's timer is one slot of the call's, lent to each attempt:
/// an attempt that ended before its limit leaves nothing armed for the
/// next, which gets the whole limit again.
#[tokio::test(start_paused = true)]
async fn each_attempt_gets_the_whole_time_limit_afresh() {
    static LAYER: Clock = Clock::new_const();
    static OWN: Clock = Clock::new_const();
    // 0.6 s then a 503, 1 s of backoff, then 0.9 s: each within 1 s.
    async fn answer(clock: &Clock) -> Result<u32, ServiceError> {
        clock.mark();
        let n = clock.marks().len() - 1;
        let wait = if n == 0 { 600 } else { 900 };
        tokio::time::sleep(Duration::from_millis(wait)).await;
        match n {
            0 => Err(ServiceError::Unavailable(1)),
            _ => Ok(n as u32),
        }
    }
    #[retry(max = 2, backoff = "1s")]
    #[timeout("1s")]
    async fn under_the_layer() -> Result<u32, ServiceError> {
        answer(&LAYER).await
    }
    #[retry(max = 2, backoff = "1s", timeout = "1s")]
    async fn under_its_own() -> Result<u32, ServiceError> {
        answer(&OWN).await
    }
    assert_eq!(under_the_layer().await, Ok(1));
    assert_eq!(under_its_own().await, Ok(1));
    assert_eq!(LAYER.marks(), secs(&[0.0, 1.6]));
    assert_eq!(OWN.marks(), LAYER.marks());
}

#[tokio::test(start_paused = true)]
async fn timeout_alone_cuts_the_call() {
    #[timeout(duration = "250ms")]
    async fn call() -> Result<(), ServiceError> {
        tokio::time::sleep(Duration::from_secs(1)).await;
        Ok(())
    }
    let start = tokio::time::Instant::now();
    assert_eq!(
        call().await,
        Err(ServiceError::TimedOut(resilient_async::TimedOut::new(
            Duration::from_millis(250)
        )))
    );
    assert_eq!(start.elapsed(), Duration::from_millis(250));
}

#[tokio::test(start_paused = true)]
async fn retry_if_overrides_classification() {
    static CALLS: AtomicU32 = AtomicU32::new(0);
    fn even_attempts_only(e: &ServiceError) -> bool {
        matches!(e, ServiceError::Unauthorized)
    }
    #[retry(max = 2, retry_if = even_attempts_only)]
    async fn call() -> Result<(), ServiceError> {
        CALLS.fetch_add(1, Ordering::SeqCst);
        Err(ServiceError::Unauthorized)
    }
    let _ = call().await;
    assert_eq!(CALLS.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn each_attempt_gets_its_own_copy_of_owned_arguments() {
    static CLONES: AtomicU32 = AtomicU32::new(0);
    struct Payload(Vec<u8>);
    impl Clone for Payload {
        fn clone(&self) -> Self {
            CLONES.fetch_add(1, Ordering::SeqCst);
            Payload(self.0.clone())
        }
    }
    static SERVICE: Flaky = Flaky::new(2);
    #[retry(max = 3, backoff = "10ms")]
    async fn upload(payload: Payload, tag: &str, n: u8) -> Result<usize, ServiceError> {
        let bytes = payload.0; // consumes the argument
        SERVICE.call()?;
        Ok(bytes.len() + tag.len() + n as usize)
    }
    assert_eq!(upload(Payload(vec![1, 2, 3]), "ab", 1).await, Ok(6));
    assert_eq!(CLONES.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn methods_keep_their_receiver_across_attempts() {
    struct Client {
        requests: Vec<u32>,
        budget: u32,
    }
    impl Client {
        #[retry(max = 4, backoff = "10ms")]
        async fn send(&mut self, id: u32) -> Result<usize, ServiceError> {
            self.requests.push(id);
            if self.budget == 0 {
                return Ok(self.requests.len());
            }
            self.budget -= 1;
            Err(ServiceError::Unavailable(self.budget))
        }
    }
    let mut client = Client {
        requests: Vec::new(),
        budget: 2,
    };
    assert_eq!(client.send(7).await, Ok(3));
    assert_eq!(client.requests, [7, 7, 7]);
}

#[tokio::test(start_paused = true)]
async fn attempt_number_and_idempotency_key_inside_the_body() {
    static SEEN: std::sync::Mutex<Vec<(u32, resilient_async::IdempotencyKey)>> =
        std::sync::Mutex::new(Vec::new());
    #[retry(max = 2, backoff = "10ms")]
    async fn pay() -> Result<(), ServiceError> {
        let attempt = resilient_async::attempt().unwrap();
        tokio::task::yield_now().await; // the key survives a suspension
        SEEN.lock().unwrap().push((
            attempt.number(),
            resilient_async::attempt().unwrap().idempotency_key(),
        ));
        Err(ServiceError::Unavailable(attempt.number()))
    }
    let _ = pay().await;
    let _ = pay().await;
    assert!(resilient_async::attempt().is_none());
    let seen = SEEN.lock().unwrap().clone();
    let numbers: Vec<u32> = seen.iter().map(|s| s.0).collect();
    assert_eq!(numbers, [1, 2, 3, 1, 2, 3]);
    assert!(seen[..3].iter().all(|s| s.1 == seen[0].1));
    assert!(seen[3..].iter().all(|s| s.1 == seen[3].1));
    assert_ne!(seen[0].1, seen[3].1);
}

#[tokio::test(start_paused = true)]
async fn per_function_metrics() {
    static SERVICE: Flaky = Flaky::new(3);
    #[retry(max = 1, backoff = "10ms")]
    async fn metered() -> Result<u32, ServiceError> {
        SERVICE.call()
    }
    // Calls: fail-fail (gives up), fail-ok, ok, ok.
    for _ in 0..4 {
        let _ = metered().await;
    }
    let m = resilient_async::metrics::get("metered").unwrap().snapshot();
    assert_eq!(
        (m.calls, m.successes, m.failures, m.attempts, m.retries),
        (4, 3, 1, 6, 2)
    );
    assert_eq!(m.success_rate(), 0.75);
    assert_eq!(m.avg_attempts(), 1.5);
    assert_eq!(m.retry_rate(), 0.5);
    assert!(resilient_async::metrics::all()
        .iter()
        .any(|s| s.name() == "metered"));
    assert_eq!(
        resilient_async::metrics::get(concat!(module_path!(), "::metered")).map(|h| h.snapshot()),
        Some(m)
    );
}

#[test]
fn a_send_body_gives_a_send_future() {
    #[retry(timeout = "1s")]
    async fn call(x: String) -> Result<usize, ServiceError> {
        Ok(x.len())
    }
    fn assert_send<T: Send>(_: T) {}
    assert_send(call(String::new()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawned_on_a_multi_thread_runtime() {
    static SERVICE: Flaky = Flaky::new(0);
    #[retry(max = 1, backoff = "1ms")]
    async fn call() -> Result<u32, ServiceError> {
        SERVICE.call()
    }
    let tasks: Vec<_> = (0..200).map(|_| tokio::spawn(call())).collect();
    for t in tasks {
        assert!(t.await.unwrap().is_ok());
    }
    assert_eq!(SERVICE.calls(), 200);
    let m = resilient_async::metrics::get("spawned_on_a_multi_thread_runtime")
        .map(|m| m.snapshot().calls);
    assert_eq!(m, None); // only annotated functions are listed
}
