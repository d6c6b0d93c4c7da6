//! Named policies: a TOML file checked at load time, `#[retry(policy)]`
//! following the file, and the executor running tools by name.
#![cfg(feature = "policy-files")]

mod common;

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use common::ServiceError;
use resilient_async::executor::{ExecError, Executor};
use resilient_async::policy::{self, Policies};
use resilient_async::retry;
use tokio::time::Instant;

const FILE: &str = r#"
[ocr]
timeout = "30s"
fallback = ["claude", "local_ocr"]

[ocr.retry]
max = 2
backoff = "1s"
schedule = "constant"

[ocr.circuit_breaker]
threshold = 5
cooldown = "60s"

[claude.retry]
attempts = 1
"#;

#[test]
fn a_file_is_checked_into_policies() {
    let p = Policies::from_toml(FILE).unwrap();
    let ocr = p.get("ocr").unwrap();
    assert_eq!(ocr.retry.unwrap().max_retries(), 2);
    assert_eq!(ocr.retry.unwrap().backoff(), Duration::from_secs(1));
    assert_eq!(ocr.timeout, Some(Duration::from_secs(30)));
    assert_eq!(ocr.fallback, ["claude", "local_ocr"]);
    assert_eq!(
        ocr.circuit_breaker.unwrap().cooldown(),
        Duration::from_secs(60)
    );
    assert_eq!(p.get("claude").unwrap().retry.unwrap().max_retries(), 0);
    assert_eq!(p.names().collect::<Vec<_>>(), ["claude", "ocr"]);
}

#[test]
fn a_bad_file_names_the_key_and_the_line() {
    let refused = |text: &str| Policies::from_toml(text).unwrap_err();
    let e = refused("[ocr.retry]\nmax = 3\nbackof = \"1s\"\n");
    assert_eq!(e.line(), Some(3));
    assert!(e.message().contains("backof"), "{e}");
    let e = refused("[ocr.retry]\nmax = 3\n\nmax_delay = \"1ms\"\nbackoff = \"1s\"\n");
    assert_eq!((e.key(), e.line()), ("ocr.retry.max_delay", Some(4)));
    assert_eq!(
        e.to_string(),
        "line 4: `ocr.retry.max_delay` (1ms) is below `backoff` (1s); the cap must be at least the first delay"
    );
    let e = refused("[ocr.circuit_breaker]\nthreshold = 3\nfailure_rate = 0.5\n");
    assert_eq!(
        (e.key(), e.line()),
        ("ocr.circuit_breaker.failure_rate", Some(3))
    );
    let e = refused("[ocr]\ntimeout = \"30x\"\n");
    assert_eq!((e.key(), e.line()), ("ocr.timeout", Some(2)));
    let e = refused("[ocr.retry]\njitter = \"wild\"\n");
    assert_eq!((e.key(), e.line()), ("ocr.retry.jitter", Some(2)));
    let e = refused("[ocr.retry]\nmax = 2\nattempts = 3\n");
    assert_eq!((e.key(), e.line()), ("ocr.retry.attempts", Some(3)));
    let e = refused("[ocr.circuit_breaker]\nwindow = \"forever\"\nfailure_rate = 0.5\n");
    assert_eq!((e.key(), e.line()), ("ocr.circuit_breaker.window", Some(2)));
    let e = refused("[ocr\n");
    assert_eq!((e.key(), e.line()), ("", Some(1)));
}

static CALLS: AtomicU32 = AtomicU32::new(0);

#[retry(policy = "tunable")]
async fn tunable() -> Result<u32, ServiceError> {
    CALLS.fetch_add(1, SeqCst);
    Err(ServiceError::Unavailable(0))
}

// The loaded policies are global: every assertion about them is in this one
// test, in order.
#[tokio::test(start_paused = true)]
async fn retry_follows_the_loaded_file_and_a_bad_reload_changes_nothing() {
    // Nothing loaded: the defaults (3 retries).
    assert!(tunable().await.is_err());
    assert_eq!(CALLS.swap(0, SeqCst), 4);

    policy::load("[tunable.retry]\nmax = 1\nbackoff = \"5s\"\n").unwrap();
    let start = Instant::now();
    assert!(tunable().await.is_err());
    assert_eq!(CALLS.swap(0, SeqCst), 2);
    assert_eq!(start.elapsed(), Duration::from_secs(5));

    // A bad file is refused, and the last good one stays in force.
    let e = policy::load("[tunable.retry]\nattempts = 0\n").unwrap_err();
    assert_eq!((e.key(), e.line()), ("tunable.retry.attempts", Some(2)));
    assert!(tunable().await.is_err());
    assert_eq!(CALLS.swap(0, SeqCst), 2);

    // A reload applies to the next call; a timeout in the file applies too.
    let dir = std::env::temp_dir().join(format!("resilient-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("policies.toml");
    std::fs::write(
        &file,
        "[tunable.retry]\nattempts = 4\nbackoff = \"1s\"\ntimeout = \"2s\"\n",
    )
    .unwrap();
    policy::load_file(&file).unwrap();
    assert!(tunable().await.is_err());
    assert_eq!(CALLS.swap(0, SeqCst), 4);
    let e = policy::load_file(dir.join("missing.toml")).unwrap_err();
    assert!(e.message().contains("cannot read"), "{e}");
    assert_eq!(
        policy::get("tunable").unwrap().retry.unwrap().max_retries(),
        3
    );
}

/// A tool that fails its first `fail` calls, counting them.
fn flaky(
    calls: &Arc<AtomicU32>,
    fail: u32,
) -> impl Fn(u32) -> std::future::Ready<Result<u32, ServiceError>> {
    let calls = calls.clone();
    move |x| {
        let n = calls.fetch_add(1, SeqCst);
        std::future::ready(if n < fail {
            Err(ServiceError::Unavailable(n))
        } else {
            Ok(x)
        })
    }
}

#[tokio::test(start_paused = true)]
async fn the_executor_runs_each_tool_with_its_policy_and_falls_back_by_name() {
    let (gpt4, claude, local) = (Arc::default(), Arc::default(), Arc::default());
    let mut tools: Executor<u32, u32, ServiceError> = Executor::new();
    tools.register("ocr", flaky(&gpt4, u32::MAX));
    tools.register("claude", flaky(&claude, u32::MAX));
    tools.register("local_ocr", flaky(&local, 0));
    tools.set_policies(Policies::from_toml(FILE).unwrap());

    let start = Instant::now();
    assert_eq!(tools.run("ocr", 7).await.unwrap(), 7);
    // ocr: 3 attempts, 1 s apart; claude: one attempt; local_ocr serves.
    let counts = |a: &Arc<AtomicU32>| a.load(SeqCst);
    assert_eq!((counts(&gpt4), counts(&claude), counts(&local)), (3, 1, 1));
    assert_eq!(start.elapsed(), Duration::from_secs(2));

    // The breaker (threshold 5) opens during the second run, and refuses the
    // third attempt without calling the tool.
    assert_eq!(tools.run("ocr", 8).await.unwrap(), 8);
    let breaker = tools.breaker_of("ocr").unwrap().snapshot();
    assert_eq!(
        (breaker.failures, breaker.rejections, breaker.opened),
        (5, 1, 1)
    );
    assert_eq!(counts(&gpt4), 5);

    assert!(matches!(tools.run("nope", 1).await, Err(ExecError::UnknownTool(n)) if n == "nope"));
}

#[tokio::test(start_paused = true)]
async fn a_fallback_name_without_a_tool_is_an_error() {
    let mut tools: Executor<u32, u32, ServiceError> = Executor::new();
    tools.register("ocr", |_| async { Err(ServiceError::Unavailable(0)) });
    tools.set_policies(Policies::from_toml("[ocr]\nfallback = [\"missing\"]\n").unwrap());
    assert!(matches!(tools.run("ocr", 1).await, Err(ExecError::UnknownTool(n)) if n == "missing"));
}

#[tokio::test(start_paused = true)]
async fn the_policy_s_timeout_bounds_each_attempt() {
    let mut tools: Executor<u32, u32, ServiceError> = Executor::new();
    tools.register("slow", |x| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok(x)
    });
    tools.set_policies(
        Policies::from_toml("[slow]\ntimeout = 2\n[slow.retry]\nmax = 1\nbackoff = 1\n").unwrap(),
    );
    let start = Instant::now();
    assert!(matches!(
        tools.run("slow", 1).await,
        Err(ExecError::Failed(ServiceError::TimedOut(_)))
    ));
    assert_eq!(start.elapsed(), Duration::from_secs(2 + 1 + 2));
}
