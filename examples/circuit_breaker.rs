//! A vision API that goes down for a while: the breaker opens after a few
//! failures, refuses calls at once instead of waiting on a dead service,
//! probes after its cooldown (which grows while the outage lasts), and
//! closes when the service is back. Prints a timeline and the figures.
//!
//! ```text
//! cargo run --example circuit_breaker          # -v for tracing output
//! ```

use std::fmt;
use std::time::Duration;

use resilient_async::circuit_breaker::{self as breakers, State};
use resilient_async::{circuit_breaker, retry, timeout, CircuitOpen, TimedOut, Transient};
use tokio::time::{sleep, Instant};

#[derive(Debug, Transient)]
enum VisionError {
    /// 503 while the service is down.
    #[transient]
    Unavailable,
    #[transient]
    TimedOut(TimedOut),
    /// Refused by the breaker; transient, with the cooldown left as its wait.
    #[delegate]
    Open(CircuitOpen),
}

impl fmt::Display for VisionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VisionError::Unavailable => f.write_str("503 service unavailable"),
            VisionError::TimedOut(t) => t.fmt(f),
            VisionError::Open(o) => o.fmt(f),
        }
    }
}

impl From<TimedOut> for VisionError {
    fn from(t: TimedOut) -> Self {
        VisionError::TimedOut(t)
    }
}

impl From<CircuitOpen> for VisionError {
    fn from(o: CircuitOpen) -> Self {
        VisionError::Open(o)
    }
}

/// Down from 300 ms to 1.1 s after the start.
async fn vision_api(started: Instant) -> Result<&'static str, VisionError> {
    sleep(Duration::from_millis(5)).await;
    let t = started.elapsed();
    if t > Duration::from_millis(300) && t < Duration::from_millis(1100) {
        Err(VisionError::Unavailable)
    } else {
        Ok("TOTAL 12.50")
    }
}

// A short retry budget: a refusal whose cooldown is longer than `max_delay`
// ends the call at once rather than burning attempts.
#[retry(max = 2, backoff = "20ms", max_delay = "100ms")]
#[circuit_breaker(threshold = 3, cooldown = "150ms", max_cooldown = "600ms")]
#[timeout("100ms")]
async fn read_receipt(started: Instant) -> Result<&'static str, VisionError> {
    vision_api(started).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if std::env::args().any(|a| a == "-v" || a == "--verbose") {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .init();
    }
    let started = Instant::now();
    let mut timeline = String::new();
    let mut refused = 0;
    for _ in 0..80 {
        match read_receipt(started).await {
            Ok(_) => timeline.push('.'),
            Err(VisionError::Open(_)) => {
                refused += 1;
                timeline.push('o')
            }
            Err(_) => timeline.push('x'),
        }
        if timeline.len() == 1 {
            // The breaker exists from the first call on.
            breakers::get("read_receipt")
                .expect("listed on its first call")
                .subscribe(move |t| {
                    println!(
                        "  {:>5} ms  {:?} -> {:?}{}",
                        started.elapsed().as_millis(),
                        t.from,
                        t.to,
                        t.cooldown
                            .map(|c| format!(" for {} ms", c.as_millis()))
                            .unwrap_or_default()
                    )
                });
        }
        sleep(Duration::from_millis(20)).await;
    }
    let b = breakers::get("read_receipt").unwrap().snapshot();
    let m = resilient_async::metrics::get("read_receipt")
        .unwrap()
        .snapshot();
    println!("\n80 receipts, one every 20 ms; the service is down from 300 ms to 1100 ms");
    println!("  {timeline}");
    println!("  (. read   x failed after retries   o refused by the open breaker)\n");
    println!("  breaker now        {:?}", b.state);
    assert_eq!(
        b.state,
        State::Closed,
        "the service is back, so the breaker closes"
    );
    println!("  calls admitted     {:>4}", b.calls);
    println!("  failures seen      {:>4}", b.failures);
    println!(
        "  calls refused      {:>4}  ({refused} receipts ended refused)",
        b.rejections
    );
    println!("  times opened       {:>4}", b.opened);
    println!("  receipts read      {:>4}  of {}", m.successes, m.calls);
    println!(
        "  attempts           {:>4}  ({:.2} per receipt)",
        m.attempts,
        m.avg_attempts()
    );
}
