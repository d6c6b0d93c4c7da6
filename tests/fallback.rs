//! `#[fallback]` as users write it, under a paused clock: which tier runs,
//! with which arguments, and what the figures say.

mod common;

use std::cell::RefCell;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use common::ServiceError;
use resilient_async::{fallback, retry};

thread_local! {
    // Per thread, so that tests running in parallel keep their own logs
    // (each #[tokio::test] runs on a thread of its own).
    static LOG: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
}

fn log(tier: &'static str) {
    LOG.with(|l| l.borrow_mut().push(tier));
}

fn take_log() -> Vec<&'static str> {
    LOG.with(|l| std::mem::take(&mut *l.borrow_mut()))
}

async fn claude(text: &str) -> Result<String, ServiceError> {
    log("claude");
    if text == "claude down" || text == "all down" {
        Err(ServiceError::Unavailable(2))
    } else {
        Ok(format!("claude: {text}"))
    }
}

async fn local_ocr(text: &str) -> Result<String, ServiceError> {
    log("local_ocr");
    if text == "all down" {
        Err(ServiceError::Unavailable(3))
    } else {
        Ok(format!("local: {text}"))
    }
}

#[fallback(claude = 0.015, local_ocr = 0.001, cost = 0.03)]
async fn gpt4_vision(text: &str) -> Result<String, ServiceError> {
    log("gpt4_vision");
    match text {
        "fine" => Ok(format!("gpt4: {text}")),
        "bad key" => Err(ServiceError::Unauthorized),
        _ => Err(ServiceError::Unavailable(1)),
    }
}

#[tokio::test(start_paused = true)]
async fn each_tier_runs_only_when_the_one_before_failed() {
    take_log();
    assert_eq!(gpt4_vision("fine").await.unwrap(), "gpt4: fine");
    assert_eq!(take_log(), ["gpt4_vision"]);
    assert_eq!(gpt4_vision("gpt4 down").await.unwrap(), "claude: gpt4 down");
    assert_eq!(take_log(), ["gpt4_vision", "claude"]);
    assert_eq!(
        gpt4_vision("claude down").await.unwrap(),
        "local: claude down"
    );
    assert_eq!(take_log(), ["gpt4_vision", "claude", "local_ocr"]);
    // Every tier failed: the last tier's error.
    assert_eq!(
        gpt4_vision("all down").await,
        Err(ServiceError::Unavailable(3))
    );
    assert_eq!(take_log(), ["gpt4_vision", "claude", "local_ocr"]);

    let chain = resilient_async::fallback::get("gpt4_vision")
        .unwrap()
        .snapshot();
    let served: Vec<u64> = chain.tiers.iter().map(|t| t.served).collect();
    let failed: Vec<u64> = chain.tiers.iter().map(|t| t.failures).collect();
    assert_eq!(served, [1, 1, 1]);
    assert_eq!(failed, [3, 2, 1]);
    assert_eq!(chain.tiers[1].calls, 3);
    assert!((chain.spent() - (0.03 + 0.015 + 0.001)).abs() < 1e-12);
    assert!((chain.primary_rate() - 1.0 / 3.0).abs() < 1e-12);
}

fn is_outage(e: &ServiceError) -> bool {
    matches!(e, ServiceError::Unavailable(_))
}

#[fallback(local_ocr, when = is_outage)]
async fn guarded(text: &str) -> Result<String, ServiceError> {
    match text {
        "bad key" => Err(ServiceError::Unauthorized),
        _ => Err(ServiceError::Unavailable(1)),
    }
}

#[tokio::test(start_paused = true)]
async fn when_keeps_errors_that_another_tier_cannot_fix() {
    take_log();
    assert_eq!(guarded("bad key").await, Err(ServiceError::Unauthorized));
    assert!(take_log().is_empty());
    assert_eq!(guarded("down").await.unwrap(), "local: down");
}

#[tokio::test(start_paused = true)]
async fn the_fallback_runs_once_the_primary_s_retries_are_spent() {
    static PRIMARY: AtomicU32 = AtomicU32::new(0);
    #[fallback(local_ocr)]
    #[retry(max = 2, backoff = "1s")]
    async fn read(text: &str) -> Result<String, ServiceError> {
        PRIMARY.fetch_add(1, SeqCst);
        Err(ServiceError::Unavailable(0))
    }
    take_log();
    let start = tokio::time::Instant::now();
    assert_eq!(read("r1").await.unwrap(), "local: r1");
    assert_eq!(PRIMARY.load(SeqCst), 3);
    assert_eq!(take_log(), ["local_ocr"]);
    assert_eq!(start.elapsed(), std::time::Duration::from_secs(3));
}

/// Counts its clones.
#[derive(Debug)]
struct Image(&'static AtomicU32);

impl Clone for Image {
    fn clone(&self) -> Self {
        self.0.fetch_add(1, SeqCst);
        Image(self.0)
    }
}

async fn second(_: Image, seen: &mut Vec<&'static str>) -> Result<u8, ServiceError> {
    seen.push("second");
    Err(ServiceError::Unavailable(2))
}

async fn third(_: Image, seen: &mut Vec<&'static str>) -> Result<u8, ServiceError> {
    seen.push("third");
    Ok(3)
}

#[fallback(second, third)]
async fn first(_image: Image, seen: &mut Vec<&'static str>) -> Result<u8, ServiceError> {
    seen.push("first");
    Err(ServiceError::Unavailable(1))
}

#[tokio::test(start_paused = true)]
async fn owned_arguments_are_cloned_only_for_tiers_that_are_not_last() {
    static CLONES: AtomicU32 = AtomicU32::new(0);
    let mut seen = Vec::new();
    assert_eq!(first(Image(&CLONES), &mut seen).await, Ok(3));
    // The `&mut` argument reached every tier.
    assert_eq!(seen, ["first", "second", "third"]);
    // One clone for the primary, one for `second`; `third` takes the original.
    assert_eq!(CLONES.load(SeqCst), 2);
}

struct Client {
    calls: AtomicU32,
}

impl Client {
    async fn backup(&self, id: u32) -> Result<u32, ServiceError> {
        self.calls.fetch_add(1, SeqCst);
        Ok(id + 1000)
    }

    #[fallback(backup)]
    async fn fetch(&self, id: u32) -> Result<u32, ServiceError> {
        self.calls.fetch_add(1, SeqCst);
        if id % 2 == 0 {
            Ok(id)
        } else {
            Err(ServiceError::Unavailable(id))
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_method_falls_back_to_another_method() {
    let client = Client {
        calls: AtomicU32::new(0),
    };
    assert_eq!(client.fetch(2).await, Ok(2));
    assert_eq!(client.fetch(3).await, Ok(1003));
    assert_eq!(client.calls.load(SeqCst), 3);
}
