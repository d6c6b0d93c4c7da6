//! The tutorial's scenario 3, a model unavailable: GPT-4 Vision falls back
//! to Claude, then to a local OCR model, through `#[fallback]`. Prints which
//! tier served each receipt and what `resilient_async::fallback::get` says the
//! chain cost. Runs under tokio's paused clock.
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

/// Costs per call served: $0.03 for GPT-4 Vision, then the alternatives'.
#[resilient_async::fallback(claude = 0.015, local_ocr = 0.001, cost = 0.03)]
async fn gpt4_vision(receipt: u32) -> Result<Reading, Unavailable> {
    model("gpt4_vision", 2000, receipt).await
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
        match &out {
            Ok(r) => println!("receipt {receipt:>2}  {:<12} {}", r.model, r.total),
            Err(e) => println!("receipt {receipt:>2}  every tier failed; the last error: {e}"),
        }
        served_by.push(out.map(|r| r.model).map_err(|e| e.to_string()));
    }
    let chain = fallback::get("gpt4_vision")
        .expect("called above")
        .snapshot();
    println!("\ntier           cost  calls  served  failed");
    for t in &chain.tiers {
        let (name, cost) = (t.name, t.cost);
        let (calls, served, failed) = (t.calls, t.served, t.failures);
        println!("{name:<12} ${cost:.3} {calls:>6} {served:>7} {failed:>7}");
    }
    let all_primary = chain.served() as f64 * chain.tiers[0].cost;
    let (spent, served) = (chain.spent(), chain.served());
    let primary = chain.primary_rate() * 100.0;
    println!("spent ${spent:.3} on {served} receipts (GPT-4 Vision alone: ${all_primary:.3});");
    println!("the primary served {primary:.0}% of them");
    let took = start.elapsed().as_secs_f64();
    println!("simulated time: {took:.1}s (tokio's paused clock; no real waiting)");
    Figures { served_by, chain }
}
