//! The tutorial's "Real-World Example": `build_resilient_pipeline`, through
//! the executor, in its vocabulary. Tools are registered by name with their
//! policies: `tesseract_ocr` retries (`ErrorStrategy::Retry`, 3 retries at
//! 2, 4, 8 s); `gpt4_vision` does not retry but falls back to
//! `claude_vision`, then `local_ocr` (`ErrorStrategy::Fallback`), the policy
//! given with each call as the tutorial's `execute_with_recovery` does.
//! Every tool is counted in `metrics` under its own name. Runs under
//! tokio's paused clock.
//!
//! ```text
//! cargo run --example build_resilient_pipeline
//! ```

use std::io;
use std::process::{ExitCode, Termination};
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use resilient_async::executor::Executor;
use resilient_async::metrics;
use resilient_async::policy::{ErrorStrategy, Policy};
use tokio::time::{sleep, Instant};

/// A model's reading of receipt `id`, after `millis`, or a 503 when it is
/// down for that receipt.
async fn model(name: &str, millis: u64, down: bool, id: u32) -> io::Result<String> {
    sleep(Duration::from_millis(millis)).await;
    if down {
        return Err(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!("{name}: 503 service unavailable"),
        ));
    }
    Ok(format!(
        "{name}: receipt {id}, TOTAL {}.{:02}",
        id * 7,
        id * 13 % 100
    ))
}

/// What the run gave.
#[derive(Debug)]
pub struct Figures {
    /// Per receipt: the reading, or the error after every fallback.
    pub results: Vec<Result<String, String>>,
    /// When each of tesseract's attempts started, from its call's start.
    pub tesseract_attempts: Vec<Duration>,
    /// Calls per tool, from `metrics`.
    pub calls: Vec<(String, u64)>,
}

impl Termination for Figures {
    fn report(self) -> ExitCode {
        ExitCode::SUCCESS
    }
}

pub fn build_resilient_pipeline() -> (Executor<u32, String, io::Error>, Policy, Arc<Attempts>) {
    let mut executor = Executor::new();

    // Define retry policy for OCR tool: exponential 2 s, 4 s, 8 s.
    let ocr_policy = Policy::retrying(3, 2.0).expect("a valid policy");
    assert_eq!(ocr_policy.strategy(), ErrorStrategy::Retry);

    // Define fallback policy for vision tool: don't retry, just fall back.
    let vision_policy = Policy::falling_back(["claude_vision", "local_ocr"]);
    assert_eq!(vision_policy.strategy(), ErrorStrategy::Fallback);

    // Register tools with policies. GPT-4 Vision is down for receipts 3 to
    // 6, Claude for 5 and 6, and every model for receipt 8.
    executor.register_with("gpt4_vision", vision_policy.clone(), |id| {
        model("gpt4_vision", 2000, (3..=6).contains(&id) || id == 8, id)
    });
    executor.register("claude_vision", |id| {
        model("claude_vision", 1500, (5..=6).contains(&id) || id == 8, id)
    });
    executor.register("local_ocr", |id| model("local_ocr", 300, id == 8, id));
    // Tesseract fails three times, then reads.
    let attempts = Arc::new(Attempts::default());
    let seen = attempts.clone();
    executor.register_with("tesseract_ocr", ocr_policy, move |id| {
        let n = seen.mark();
        model("tesseract_ocr", 100, n < 3, id)
    });
    (executor, vision_policy, attempts)
}

/// When each attempt of a tool started.
#[derive(Debug, Default)]
pub struct Attempts {
    count: AtomicU32,
    at: std::sync::Mutex<Vec<Instant>>,
}

impl Attempts {
    fn mark(&self) -> u32 {
        self.at.lock().unwrap().push(Instant::now());
        self.count.fetch_add(1, SeqCst)
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
pub async fn main() -> Figures {
    let (executor, vision_policy, attempts) = build_resilient_pipeline();

    // Execute with automatic error handling.
    let mut results = Vec::new();
    for id in 1..=8 {
        match executor.run_with("gpt4_vision", id, &vision_policy).await {
            Ok(text) => {
                println!("receipt {id}: {text}");
                results.push(Ok(text));
            }
            Err(e) => {
                // All retries and fallbacks exhausted.
                println!("Receipt {id} failed permanently: {e}");
                results.push(Err(e.to_string()));
            }
        }
    }

    let start = Instant::now();
    let text = executor
        .run("tesseract_ocr", 9)
        .await
        .expect("read on its fourth attempt");
    let tesseract_attempts: Vec<Duration> = attempts
        .at
        .lock()
        .unwrap()
        .iter()
        .map(|t| *t - start)
        .collect();
    println!("\n{text}");
    let waits: Vec<String> = tesseract_attempts
        .iter()
        .map(|d| format!("{:.1}s", d.as_secs_f64()))
        .collect();
    println!(
        "tesseract_ocr attempts at {} (3 retries, 2 s, 4 s, 8 s apart)",
        waits.join(", ")
    );

    println!("\ntool            calls  succeeded  retries");
    let mut calls = Vec::new();
    for name in ["gpt4_vision", "claude_vision", "local_ocr", "tesseract_ocr"] {
        let m = metrics::get(name).expect("each tool is counted").snapshot();
        println!(
            "{name:<15} {:>5} {:>10} {:>8}",
            m.calls, m.successes, m.retries
        );
        calls.push((name.to_string(), m.calls));
    }
    Figures {
        results,
        tesseract_attempts,
        calls,
    }
}
