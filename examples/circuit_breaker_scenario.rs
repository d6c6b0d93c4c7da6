//! The tutorial's scenario 4, repeated failures: a vision model is down
//! from 30 s to 150 s. With `#[circuit_breaker(threshold = 5, cooldown =
//! "60s")]` the breaker opens after five failures in a row, refuses calls at
//! once instead of waiting on the dead model, lets one probe through after
//! the cooldown (half-open), and closes when a probe succeeds. Runs under
//! tokio's paused clock; `examples/circuit_breaker.rs` shows more options.
//!
//! ```text
//! cargo run --example circuit_breaker_scenario
//! ```

use std::fmt;
use std::process::{ExitCode, Termination};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use resilient_async::circuit_breaker::{self as breakers, BreakerSnapshot, State};
use resilient_async::{circuit_breaker, CircuitOpen};
use tokio::time::{sleep, sleep_until, Instant};

#[derive(Debug)]
pub enum VisionError {
    /// 503, after a 2 s wait.
    Unavailable,
    /// Refused by the open breaker, at once.
    Open(CircuitOpen),
}

impl fmt::Display for VisionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VisionError::Unavailable => f.write_str("503 service unavailable"),
            VisionError::Open(o) => o.fmt(f),
        }
    }
}

impl From<CircuitOpen> for VisionError {
    fn from(o: CircuitOpen) -> Self {
        VisionError::Open(o)
    }
}

#[circuit_breaker(threshold = 5, cooldown = "60s")]
async fn describe_image(started: Instant) -> Result<&'static str, VisionError> {
    let down = (30..150).contains(&started.elapsed().as_secs());
    sleep(Duration::from_secs(if down { 2 } else { 1 })).await;
    if down {
        Err(VisionError::Unavailable)
    } else {
        Ok("a receipt for 12.50")
    }
}

/// One call every 10 s for 5 minutes: the timeline, each transition (at
/// which second, from, to), and the breaker's figures.
#[derive(Debug)]
pub struct Figures {
    pub timeline: String,
    pub transitions: Vec<(u64, State, State)>,
    pub breaker: BreakerSnapshot,
}

impl Termination for Figures {
    fn report(self) -> ExitCode {
        ExitCode::SUCCESS
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
pub async fn main() -> Figures {
    let started = Instant::now();
    let transitions = Arc::new(Mutex::new(Vec::new()));
    let mut timeline = String::new();
    println!("A call every 10 s for 5 minutes; the model is down from 30 s to 150 s.");
    for n in 0..30 {
        sleep_until(started + Duration::from_secs(10 * n)).await;
        timeline.push(match describe_image(started).await {
            Ok(_) => '.',
            Err(VisionError::Unavailable) => 'x',
            Err(VisionError::Open(_)) => 'o',
        });
        if n == 0 {
            // The breaker is listed from its function's first call on.
            let log = transitions.clone();
            breakers::get("describe_image")
                .unwrap()
                .subscribe(move |t| {
                    let at = started.elapsed().as_secs();
                    let cooldown = t.cooldown.map(|c| format!(" for {}s", c.as_secs()));
                    println!(
                        "  {at:>3}s  {:?} -> {:?}{}",
                        t.from,
                        t.to,
                        cooldown.unwrap_or_default()
                    );
                    log.lock().unwrap().push((at, t.from, t.to));
                });
        }
    }
    let breaker = breakers::get("describe_image").unwrap().snapshot();
    println!("\n  0s        100s      200s\n  {timeline}");
    println!("  (. answered   x failed after 2 s   o refused at once)");
    println!("  The model was back at 150 s; the breaker's next probe found out at 210 s.");
    println!(
        "  {} calls reached the model, {} failed;",
        breaker.calls, breaker.failures
    );
    println!(
        "  {} were refused at once instead of waiting 2 s each",
        breaker.rejections
    );
    let took = started.elapsed().as_secs();
    println!("simulated time: {took}s (tokio's paused clock; no real waiting)");
    let transitions = transitions.lock().unwrap().clone();
    Figures {
        timeline,
        transitions,
        breaker,
    }
}
