//! `#[circuit_breaker]` as users write it, alone and under `#[retry]` and
//! `#[timeout]`, under a paused clock: exact call counts and times.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::{secs, Clock, Flaky, ServiceError};
use resilient_async::circuit_breaker::{self as breakers, State};
use resilient_async::{circuit_breaker, retry, timeout, CircuitOpen};
use tokio::time::{advance, sleep, Instant};

fn refused(r: Result<u32, ServiceError>) -> CircuitOpen {
    match r {
        Err(ServiceError::Open(o)) => o,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn opens_after_threshold_and_probes_after_the_cooldown() {
    static SERVICE: Flaky = Flaky::new(3);
    #[circuit_breaker(threshold = 3, cooldown = "30s")]
    async fn vision() -> Result<u32, ServiceError> {
        SERVICE.call()
    }
    for n in 1..=3 {
        assert_eq!(vision().await, Err(ServiceError::Unavailable(n)));
    }
    // Open: the body does not run.
    assert_eq!(
        refused(vision().await).retry_after(),
        Some(Duration::from_secs(30))
    );
    advance(Duration::from_secs(29)).await;
    refused(vision().await);
    assert_eq!(SERVICE.calls(), 3);
    advance(Duration::from_secs(1)).await;
    assert_eq!(vision().await, Ok(4)); // the probe, which closes it
    let b = breakers::get("vision").unwrap().snapshot();
    assert_eq!(
        (b.state, b.calls, b.rejections, b.transitions),
        (State::Closed, 4, 2, 3)
    );
    let m = resilient_async::metrics::get("vision").unwrap().snapshot();
    assert_eq!((m.calls, m.failures, m.rejections), (6, 5, 2));
}

#[tokio::test(start_paused = true)]
async fn retry_above_a_breaker_waits_out_the_cooldown_when_it_fits() {
    static CLOCK: Clock = Clock::new_const();
    static SERVICE: Flaky = Flaky::new(2);
    // Written breaker first: the order is canonical anyway.
    #[circuit_breaker(threshold = 2, cooldown = "10s")]
    #[retry(max = 3, backoff = "1s")]
    async fn llm() -> Result<u32, ServiceError> {
        CLOCK.mark();
        SERVICE.call()
    }
    assert_eq!(llm().await, Ok(3));
    // The attempts at 0 s and 1 s fail and open the breaker until 11 s. The
    // third, due at 3 s, is refused with 8 s to wait, longer than the 4 s
    // backoff, so the fourth runs at 11 s: the probe, which succeeds.
    assert_eq!(CLOCK.marks(), secs(&[0.0, 1.0, 11.0]));
    let m = resilient_async::metrics::get("llm").unwrap().snapshot();
    assert_eq!((m.attempts, m.rejections, m.successes), (4, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn retry_gives_up_at_once_when_the_cooldown_exceeds_max_delay() {
    static SERVICE: Flaky = Flaky::new(u32::MAX);
    #[retry(max = 10, backoff = "1s", max_delay = "10s")]
    #[circuit_breaker(threshold = 2, cooldown = "60s")]
    async fn ocr() -> Result<u32, ServiceError> {
        SERVICE.call()
    }
    let start = Instant::now();
    let open = refused(ocr().await);
    // Two failures (0 s, 1 s), then the refusal at 3 s: its 58 s wait is
    // beyond max_delay, so no more attempts are burnt.
    assert_eq!(open.retry_after(), Some(Duration::from_secs(58)));
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert_eq!(SERVICE.calls(), 2);
    assert_eq!(
        resilient_async::metrics::get("ocr")
            .unwrap()
            .snapshot()
            .attempts,
        3
    );
}

#[tokio::test(start_paused = true)]
async fn retry_gives_up_when_the_cooldown_outlasts_the_deadline() {
    static SERVICE: Flaky = Flaky::new(u32::MAX);
    #[retry(max = 10, backoff = "1s", deadline = "20s")]
    #[circuit_breaker(threshold = 1, cooldown = "25s")]
    async fn pay() -> Result<u32, ServiceError> {
        SERVICE.call()
    }
    let start = Instant::now();
    refused(pay().await);
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(SERVICE.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn timeouts_count_as_failures_of_the_breaker() {
    static CALLS: AtomicU32 = AtomicU32::new(0);
    #[timeout("2s")]
    #[circuit_breaker(threshold = 2, cooldown = "1m")]
    async fn slow() -> Result<u32, ServiceError> {
        CALLS.fetch_add(1, Ordering::SeqCst);
        sleep(Duration::from_secs(10)).await;
        Ok(0)
    }
    assert!(matches!(slow().await, Err(ServiceError::TimedOut(_))));
    assert!(matches!(slow().await, Err(ServiceError::TimedOut(_))));
    refused(slow().await);
    assert_eq!(CALLS.load(Ordering::SeqCst), 2);
    assert_eq!(breakers::get("slow").unwrap().state(), State::Open);
}

#[tokio::test(start_paused = true)]
async fn functions_naming_one_breaker_share_it() {
    #[circuit_breaker(name = "vision_api", threshold = 2)]
    async fn read_text() -> Result<u32, ServiceError> {
        Err(ServiceError::Unavailable(0))
    }
    #[circuit_breaker(name = "vision_api", threshold = 2)]
    async fn read_table() -> Result<u32, ServiceError> {
        Ok(1)
    }
    read_text().await.unwrap_err();
    read_text().await.unwrap_err();
    // The other function's calls are refused too.
    assert_eq!(refused(read_table().await).breaker(), "vision_api");
}

#[tokio::test(start_paused = true)]
async fn a_key_keeps_one_breaker_per_value() {
    #[circuit_breaker(key = host, threshold = 1, max_keys = 16)]
    async fn fetch(host: &str) -> Result<u32, ServiceError> {
        if host == "down.example" {
            Err(ServiceError::Unavailable(0))
        } else {
            Ok(200)
        }
    }
    fetch("down.example").await.unwrap_err();
    refused(fetch("down.example").await);
    assert_eq!(fetch("up.example").await, Ok(200));
    let family = breakers::keyed("fetch").unwrap();
    assert_eq!(family.len(), 2);
    assert_eq!(family.get("down.example").state(), State::Open);
}

#[tokio::test(start_paused = true)]
async fn record_if_chooses_which_errors_count() {
    fn is_outage(e: &ServiceError) -> bool {
        matches!(e, ServiceError::Unavailable(_))
    }
    #[circuit_breaker(threshold = 1, record_if = is_outage)]
    async fn login(ok: bool) -> Result<u32, ServiceError> {
        if ok {
            Ok(0)
        } else {
            Err(ServiceError::Unauthorized)
        }
    }
    for _ in 0..5 {
        assert_eq!(login(false).await, Err(ServiceError::Unauthorized));
    }
    assert_eq!(login(true).await, Ok(0));
    assert_eq!(breakers::get("login").unwrap().state(), State::Closed);
}

#[tokio::test(start_paused = true)]
async fn a_failure_rate_breaker_opens_on_the_share_of_failures() {
    static N: AtomicU32 = AtomicU32::new(0);
    #[circuit_breaker(failure_rate = 0.5, window = 4, min_calls = 4, cooldown = "10s")]
    async fn every_other() -> Result<u32, ServiceError> {
        let n = N.fetch_add(1, Ordering::SeqCst);
        if n % 2 == 0 {
            Ok(n)
        } else {
            Err(ServiceError::Unavailable(n))
        }
    }
    for _ in 0..3 {
        let _ = every_other().await;
    }
    assert_eq!(breakers::get("every_other").unwrap().state(), State::Closed);
    let _ = every_other().await; // 2 failures in 4
    refused(every_other().await);
}

struct Client {
    host: String,
}

impl Client {
    #[circuit_breaker(key = self.host, threshold = 1)]
    async fn get(&self, path: &str) -> Result<u32, ServiceError> {
        if self.host == "flaky" {
            Err(ServiceError::Unavailable(path.len() as u32))
        } else {
            Ok(200)
        }
    }
}

#[tokio::test(start_paused = true)]
async fn methods_can_key_on_self() {
    let flaky = Client {
        host: "flaky".into(),
    };
    let fine = Client {
        host: "fine".into(),
    };
    flaky.get("/a").await.unwrap_err();
    refused(flaky.get("/a").await);
    assert_eq!(fine.get("/a").await, Ok(200));
}

#[tokio::test(start_paused = true)]
async fn every_instantiation_of_a_generic_fn_shares_the_breaker() {
    #[circuit_breaker(threshold = 2)]
    async fn parse<T: std::str::FromStr>(s: &str) -> Result<T, ServiceError> {
        s.parse().map_err(|_| ServiceError::Unavailable(0))
    }
    parse::<u32>("x").await.unwrap_err();
    parse::<i64>("y").await.unwrap_err();
    assert!(matches!(parse::<u8>("1").await, Err(ServiceError::Open(_))));
}
