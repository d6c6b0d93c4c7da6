//! Measuring resilience, as the tutorial's last section does: 40 receipts
//! through a three-step pipeline whose OCR step fails now and then and is
//! down for a while. Every annotated function counts its own figures;
//! `resilient_async::metrics::all()` lists them (`get(name)` finds one) with
//! `success_rate`, `avg_attempts` and `retry_rate`, and the OCR's breaker
//! has a snapshot of its own. Seeded, and run under tokio's paused clock.
//!
//! ```text
//! cargo run --example metrics
//! ```

use std::io::{self, ErrorKind};
use std::process::{ExitCode, Termination};
use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use resilient_async::circuit_breaker::{self as breakers, BreakerSnapshot};
use resilient_async::metrics::{self, MetricsSnapshot};
use resilient_async::{circuit_breaker, retry, timeout};
use tokio::time::{sleep, sleep_until, Instant};

/// The services behind the pipeline: seeded failures, and an OCR outage
/// from 100 s to 160 s.
struct Services {
    started: Instant,
    rng: Mutex<SmallRng>,
}

impl Services {
    async fn call(&self, failure_rate: f64, down: bool) -> io::Result<()> {
        let roll: f64 = self.rng.lock().unwrap().random();
        sleep(Duration::from_millis(500)).await;
        if down || roll < failure_rate {
            return Err(io::Error::new(ErrorKind::ConnectionReset, "503"));
        }
        if roll > 0.97 {
            sleep(Duration::from_secs(60)).await; // hangs; cut by the timeout
        }
        Ok(())
    }
}

// `io::Error` has `From<TimedOut>` and `From<CircuitOpen>`.
#[retry(max = 3, backoff = "2s")]
#[circuit_breaker(threshold = 5, cooldown = "30s")]
#[timeout("10s")]
async fn ocr_extract(s: &Services) -> io::Result<()> {
    let down = (100..160).contains(&s.started.elapsed().as_secs());
    s.call(0.3, down).await
}

#[retry(max = 2, backoff = "1s", timeout = "10s")]
async fn summarize(s: &Services) -> io::Result<()> {
    s.call(0.1, false).await
}

#[timeout("10s")]
async fn store_result(s: &Services) -> io::Result<()> {
    s.call(0.0, false).await
}

/// This example's functions' figures, and the OCR breaker's.
#[derive(Debug)]
pub struct Figures {
    pub functions: Vec<MetricsSnapshot>,
    pub breaker: BreakerSnapshot,
}

impl Termination for Figures {
    fn report(self) -> ExitCode {
        ExitCode::SUCCESS
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
pub async fn main() -> Figures {
    // Each call's duration, as the tutorial records it.
    metrics::time_calls(true);
    let started = Instant::now();
    let rng = Mutex::new(SmallRng::seed_from_u64(7));
    let services = Services { started, rng };
    for n in 0..40 {
        sleep_until(started + Duration::from_secs(5 * n)).await;
        // A receipt is dropped at its first step that fails for good.
        let _ = async {
            ocr_extract(&services).await?;
            summarize(&services).await?;
            store_result(&services).await
        }
        .await;
    }
    // In the pipeline's order, each found by its name.
    let functions: Vec<_> = ["ocr_extract", "summarize", "store_result"]
        .into_iter()
        .map(|name| metrics::get(name).expect("listed").snapshot())
        .collect();
    println!("40 receipts, one every 5 s: ocr_extract -> summarize -> store_result");
    println!("(the OCR fails 30% of calls and is down from 100 s to 160 s; the summarizer");
    println!("fails 10%; each service hangs on 3% of calls, cut at 10 s)\n");
    // The tutorial's three figures: success rate (calls that succeeded, %),
    // average attempts per call, and retry rate (retries per hundred calls).
    for m in &functions {
        let flag = if m.retry_rate() > 0.5 {
            "  <- high retry rate: a systemic issue"
        } else {
            ""
        };
        println!("{}{flag}", m.name);
        println!("  Success rate: {:.1}%", m.success_rate() * 100.0);
        println!("  Avg attempts: {:.1}", m.avg_attempts());
        println!("  Retry rate: {:.1}%", m.retry_rate() * 100.0);
        if let Some(l) = m.latency {
            println!(
                "  Duration: mean {:.1?}, p50 {:.1?}, p99 {:.1?}, max {:.1?} over {} calls",
                l.mean, l.p50, l.p99, l.max, l.count
            );
        }
        println!(
            "  Timeouts {}, refused by the breaker {}",
            m.timeouts, m.rejections
        );
        if let Some(e) = &m.last_error {
            println!("  Last error: {e}");
        }
    }
    let b = breakers::get("ocr_extract")
        .expect("called above")
        .snapshot();
    println!(
        "\nocr_extract's breaker: {:?}; {} attempts admitted, {} failed, {} refused; opened {} times",
        b.state, b.calls, b.failures, b.rejections, b.opened
    );
    let ocr = metrics::get("ocr_extract")
        .expect("called above")
        .snapshot();
    assert_eq!(ocr.rejections, b.rejections, "both count the refusals");
    let took = started.elapsed().as_secs_f64();
    println!("simulated time: {took:.1}s (tokio's paused clock; no real waiting)");
    Figures {
        functions,
        breaker: b,
    }
}
