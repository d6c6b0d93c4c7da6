//! The README's porting table, row by row: each of the tutorial's retry
//! snippets and the attribute that makes the same attempts at the same
//! times (under tokio's paused clock).

mod common;

use std::sync::Mutex;
use std::time::Duration;

use common::ServiceError;
use resilient_async::{fallback, retry};
use tokio::time::{sleep, Instant};

/// When each attempt of one call started, from the first.
struct Times(Mutex<Option<(Instant, Vec<Duration>)>>);

impl Times {
    const fn new() -> Self {
        Times(Mutex::new(None))
    }
    fn mark(&self) {
        let now = Instant::now();
        let mut t = self.0.lock().unwrap();
        let (start, marks) = t.get_or_insert_with(|| (now, Vec::new()));
        marks.push(now - *start);
    }
    fn marks(&self) -> Vec<Duration> {
        self.0
            .lock()
            .unwrap()
            .as_ref()
            .map(|t| t.1.clone())
            .unwrap_or_default()
    }
}

fn s(secs: &[f64]) -> Vec<Duration> {
    secs.iter().map(|x| Duration::from_secs_f64(*x)).collect()
}

/// Backoff (Core Concepts 2): "Attempt 1: Fail → wait 0.1s … Attempt 4:
/// Fail → wait 0.8s", then a fifth attempt.
#[tokio::test(start_paused = true)]
async fn backoff_core_concept() {
    static T: Times = Times::new();
    #[retry(max = 4, backoff = "100ms")]
    async fn f() -> Result<(), ServiceError> {
        T.mark();
        Err(ServiceError::Unavailable(0))
    }
    let _ = f().await;
    assert_eq!(T.marks(), s(&[0.0, 0.1, 0.3, 0.7, 1.5]));
}

/// Scenario 1: `for attempt in range(3)`, limits 30 s, 60 s, 120 s, waits
/// 0.1 s and 0.2 s: three attempts.
#[tokio::test(start_paused = true)]
async fn scenario_1_api_timeout() {
    static T: Times = Times::new();
    #[retry(attempts = 3, backoff = "100ms", timeout = "30s", timeout_factor = 2.0)]
    async fn f() -> Result<(), ServiceError> {
        T.mark();
        sleep(Duration::from_secs(1000)).await; // the LLM never answers
        Ok(())
    }
    assert!(matches!(f().await, Err(ServiceError::TimedOut(_))));
    assert_eq!(T.marks(), s(&[0.0, 30.1, 90.3]));
}

/// Scenario 2: `max_retries = 5` in a loop, waits 1, 2, 4, 8 s: five
/// attempts (the comment's 16 s is never slept: the fifth failure raises).
#[tokio::test(start_paused = true)]
async fn scenario_2_rate_limit() {
    static T: Times = Times::new();
    #[retry(attempts = 5, backoff = "1s")]
    async fn f() -> Result<(), ServiceError> {
        T.mark();
        Err(ServiceError::Unavailable(0))
    }
    let _ = f().await;
    assert_eq!(T.marks(), s(&[0.0, 1.0, 3.0, 7.0, 15.0]));
}

/// Pattern 1: `2 ** attempt + uniform(0, 0.5 × 2 ** attempt)` over three
/// attempts: waits in [1, 1.5] s, then [2, 3] s.
#[tokio::test(start_paused = true)]
async fn pattern_1_jitter() {
    static T: Times = Times::new();
    #[retry(attempts = 3, backoff = "1s", jitter = "additive")]
    async fn f() -> Result<(), ServiceError> {
        T.mark();
        Err(ServiceError::Unavailable(0))
    }
    resilient_async::seed_jitter(1);
    let _ = f().await;
    let m = T.marks();
    assert_eq!(m.len(), 3);
    let (w1, w2) = (m[1] - m[0], m[2] - m[1]);
    assert!(
        w1 >= Duration::from_secs(1) && w1 <= Duration::from_millis(1500),
        "{w1:?}"
    );
    assert!(
        w2 >= Duration::from_secs(2) && w2 <= Duration::from_secs(3),
        "{w2:?}"
    );
}

/// Self-healing, Step 4: `retry_with_backoff(max_retries = 3)`, waits
/// 0.5 s and 1 s.
#[tokio::test(start_paused = true)]
async fn self_healing_step_4() {
    static T: Times = Times::new();
    #[retry(attempts = 3, backoff = "500ms")]
    async fn f() -> Result<(), ServiceError> {
        T.mark();
        Err(ServiceError::Unavailable(0))
    }
    let _ = f().await;
    assert_eq!(T.marks(), s(&[0.0, 0.5, 1.5]));
}

/// Measuring Resilience: `while attempt < 3: attempt += 1 … sleep(2 **
/// attempt)`: waits 2 s and 4 s.
#[tokio::test(start_paused = true)]
async fn measuring_resilience() {
    static T: Times = Times::new();
    #[retry(attempts = 3, backoff = "2s")]
    async fn f() -> Result<(), ServiceError> {
        T.mark();
        Err(ServiceError::Unavailable(0))
    }
    let _ = f().await;
    assert_eq!(T.marks(), s(&[0.0, 2.0, 6.0]));
}

/// `ErrorRecoveryPolicy(max_retries=3, retry_backoff=2.0)`: "2s, 4s, 8s",
/// three retries after the first attempt.
#[tokio::test(start_paused = true)]
async fn error_recovery_policy_retry() {
    static T: Times = Times::new();
    #[retry(max = 3, backoff = 2.0)]
    async fn f() -> Result<(), ServiceError> {
        T.mark();
        Err(ServiceError::Unavailable(0))
    }
    let _ = f().await;
    assert_eq!(T.marks(), s(&[0.0, 2.0, 6.0, 14.0]));
}

/// `ErrorRecoveryPolicy(max_retries=0, fallback_tools=[...])`: "don't
/// retry, just fallback".
#[tokio::test(start_paused = true)]
async fn error_recovery_policy_fallback_only() {
    static T: Times = Times::new();
    async fn claude_vision() -> Result<&'static str, ServiceError> {
        Err(ServiceError::Unavailable(0))
    }
    async fn local_ocr() -> Result<&'static str, ServiceError> {
        Ok("local")
    }
    #[retry(max = 0)]
    #[fallback(claude_vision, local_ocr)]
    async fn gpt4_vision() -> Result<&'static str, ServiceError> {
        T.mark();
        Err(ServiceError::Unavailable(0))
    }
    assert_eq!(gpt4_vision().await, Ok("local"));
    assert_eq!(T.marks(), s(&[0.0]));
}
