//! The tutorial's scenario 3 and its Pattern 2, a model unavailable: GPT-4
//! Vision ($0.10, 99 % accurate) falls back to Claude ($0.05, 95 %), then to
//! a local OCR model ($0.01, 85 %), through `#[fallback]`. Prints, as the
//! tutorial does, each tier that failed and the one that served with its
//! cost and accuracy, then what `resilient_async::fallback::get` says the
//! chain cost and the accuracy to expect. Runs under tokio's paused clock.
//!
//! ```text
//! cargo run --example model_fallback
//! ```

use std::fmt;
use std::process::{ExitCode, Termination};
use std::time::Duration;

use resilient_async::fallback::{self, FallbackSnapshot};
use tokio::time::{sleep, Instant};

/// A model's answer, and which model gave it.
#[derive(Debug)]
pub struct Reading {
    pub model: &'static str,
    pub total: String,
}

/// 503: the model is unavailable.
#[derive(Debug)]
pub struct Unavailable(&'static str);

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: 503 service unavailable", self.0)
    }
}

/// GPT-4 Vision is down for receipts 4 to 8, Claude for 6 and 7, and the
/// network for receipt 11, when every model fails.
async fn model(name: &'static str, millis: u64, receipt: u32) -> Result<Reading, Unavailable> {
    let down = match name {
        "gpt4_vision" => (4..=8).contains(&receipt),
        "claude" => (6..=7).contains(&receipt),
        _ => false,
    };
    if down || receipt == 11 {
        sleep(Duration::from_millis(100)).await;
        return Err(Unavailable(name));
    }
    sleep(Duration::from_millis(millis)).await;
    let total = format!("TOTAL {}.{:02}", receipt * 7, receipt * 13 % 100);
    Ok(Reading { model: name, total })
}

async fn claude(receipt: u32) -> Result<Reading, Unavailable> {
    model("claude", 1500, receipt).await
}

async fn local_ocr(receipt: u32) -> Result<Reading, Unavailable> {
    model("local_ocr", 300, receipt).await
}

/// The tutorial's prices and accuracies, per call served.
#[resilient_async::fallback(
    claude(cost = 0.05, accuracy = 0.95),
    local_ocr(cost = 0.01, accuracy = 0.85),
    cost = 0.10,
    accuracy = 0.99
)]
async fn gpt4_vision(receipt: u32) -> Result<Reading, Unavailable> {
    model("gpt4_vision", 2000, receipt).await
}

/// The tutorial's cost and accuracy of each model.
fn figures_of(model: &str) -> (f64, f64) {
    match model {
        "gpt4_vision" => (0.10, 0.99),
        "claude" => (0.05, 0.95),
        _ => (0.01, 0.85),
    }
}

/// Which model served each receipt (or the error), and the chain's figures.
#[derive(Debug)]
pub struct Figures {
    pub served_by: Vec<Result<&'static str, String>>,
    pub chain: FallbackSnapshot,
}

impl Termination for Figures {
    fn report(self) -> ExitCode {
        ExitCode::SUCCESS
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
pub async fn main() -> Figures {
    let start = Instant::now();
    let mut served_by = Vec::new();
    for receipt in 1..=11 {
        let out = gpt4_vision(receipt).await;
        println!("receipt {receipt}");
        for tier in ["gpt4_vision", "claude", "local_ocr"] {
            match &out {
                Ok(r) if r.model == tier => {
                    let (cost, accuracy) = figures_of(tier);
                    println!(
                        "  ✓ Success with {tier} (${cost}, {}% accuracy): {}",
                        accuracy * 100.0,
                        r.total
                    );
                    break;
                }
                _ => println!("  ✗ {tier} failed: {}", Unavailable(tier)),
            }
        }
        if out.is_err() {
            println!("  All tools in fallback chain failed");
        }
        served_by.push(out.map(|r| r.model).map_err(|e| e.to_string()));
    }
    let chain = fallback::get("gpt4_vision")
        .expect("called above")
        .snapshot();
    println!("\ntier           cost  accuracy  calls  served  failed");
    for t in &chain.tiers {
        let (name, cost, accuracy) = (t.name, t.cost, t.accuracy.unwrap_or(0.0) * 100.0);
        let (calls, served, failed) = (t.calls, t.served, t.failures);
        println!("{name:<12} ${cost:.2} {accuracy:>8.0}% {calls:>6} {served:>7} {failed:>7}");
    }
    let all_primary = chain.served() as f64 * chain.tiers[0].cost;
    let (spent, served) = (chain.spent(), chain.served());
    let primary = chain.primary_rate() * 100.0;
    println!("spent ${spent:.3} on {served} receipts (GPT-4 Vision alone: ${all_primary:.3});");
    println!("the primary served {primary:.0}% of them");
    if let Some(expected) = chain.expected_accuracy() {
        println!(
            "expected accuracy of the answers served: {:.1}%",
            expected * 100.0
        );
    }
    let took = start.elapsed().as_secs_f64();
    println!("simulated time: {took:.1}s (tokio's paused clock; no real waiting)");
    Figures { served_by, chain }
}
