//! Retry with jitter: 100 clients call a service at the same moment, and it
//! takes only 20 requests per 100 ms. Without jitter, every client turned
//! away retries at the same instants (1 s, 3 s, 7 s later): each wave is a
//! spike the service turns away again. With `jitter`, each delay is drawn
//! from `[0, d]` and the retries spread out; with the tutorial's Pattern 1,
//! `jitter = "additive"`, from `[d, 1.5 d]`: never sooner than the schedule.
//! `resilient_async::seed_jitter` makes the draws repeat from run to run.
//! Runs under tokio's paused clock.
//!
//! ```text
//! cargo run --example jitter
//! ```

use std::collections::HashMap;
use std::io;
use std::process::{ExitCode, Termination};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use resilient_async::retry;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// Serves 20 requests per 100 ms slot and turns away the rest; notes when
/// each retry arrived.
struct Service {
    started: Instant,
    per_slot: Mutex<HashMap<u128, u32>>,
    retries: Mutex<Vec<Duration>>,
}

impl Service {
    async fn get(&self) -> io::Result<()> {
        let now = self.started.elapsed();
        if resilient_async::attempt().is_some_and(|a| a.is_retry()) {
            self.retries.lock().unwrap().push(now);
        }
        let mut per_slot = self.per_slot.lock().unwrap();
        let requests = per_slot.entry(now.as_millis() / 100).or_default();
        *requests += 1;
        match *requests <= 20 {
            true => Ok(()),
            false => Err(io::Error::new(io::ErrorKind::ResourceBusy, "503 busy")),
        }
    }
}

#[retry(max = 3, backoff = "1s")]
async fn fetch_in_step(service: &Service) -> io::Result<()> {
    service.get().await
}

#[retry(max = 3, backoff = "1s", jitter)]
async fn fetch_jittered(service: &Service) -> io::Result<()> {
    service.get().await
}

/// The tutorial's Pattern 1: `base + uniform(0, base / 2)`.
#[retry(max = 3, backoff = "1s", jitter = "additive")]
async fn fetch_additive(service: &Service) -> io::Result<()> {
    service.get().await
}

/// How a herd's clients wait.
#[derive(Debug, Clone, Copy)]
enum Waits {
    InStep,
    Full,
    Additive,
}

/// What a herd of 100 clients did: retries in each of the first 8 seconds,
/// retries in the busiest 100 ms, clients that gave up after 4 attempts,
/// and when the last one finished.
#[derive(Debug, PartialEq)]
pub struct Herd {
    pub retries_per_second: [u32; 8],
    pub busiest_100ms: u32,
    pub gave_up: usize,
    pub took: Duration,
}

#[derive(Debug)]
pub struct Figures {
    pub in_step: Herd,
    pub jittered: Herd,
    /// The tutorial's jitter.
    pub additive: Herd,
}

impl Termination for Figures {
    fn report(self) -> ExitCode {
        ExitCode::SUCCESS
    }
}

async fn herd(waits: Waits) -> Herd {
    let (started, per_slot, retries) = (Instant::now(), Mutex::default(), Mutex::default());
    let service = Arc::new(Service {
        started,
        per_slot,
        retries,
    });
    let mut clients = JoinSet::new();
    for _ in 0..100 {
        let service = service.clone();
        clients.spawn(async move {
            match waits {
                Waits::InStep => fetch_in_step(&service).await,
                Waits::Full => fetch_jittered(&service).await,
                Waits::Additive => fetch_additive(&service).await,
            }
        });
    }
    let outcomes = clients.join_all().await;
    let gave_up = outcomes.iter().filter(|r| r.is_err()).count();
    let (mut retries_per_second, mut per_100ms) = ([0; 8], HashMap::new());
    for t in service.retries.lock().unwrap().iter() {
        retries_per_second[t.as_secs().min(7) as usize] += 1;
        *per_100ms.entry(t.as_millis() / 100).or_default() += 1;
    }
    let busiest_100ms = per_100ms.into_values().max().unwrap_or(0);
    let took = started.elapsed();
    Herd {
        retries_per_second,
        busiest_100ms,
        gave_up,
        took,
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
pub async fn main() -> Figures {
    resilient_async::seed_jitter(7);
    let (in_step, jittered) = (herd(Waits::InStep).await, herd(Waits::Full).await);
    let additive = herd(Waits::Additive).await;
    println!("100 clients at once; the service takes 20 requests per 100 ms.");
    println!("#[retry(max = 3, backoff = \"1s\")], without and with `jitter`:\n");
    println!("retries in second    0s  1s  2s  3s  4s  5s  6s  7s   busiest 100 ms  gave up");
    for (name, h) in [
        ("no jitter", &in_step),
        ("full jitter", &jittered),
        ("additive", &additive),
    ] {
        let counts = h.retries_per_second.map(|n| format!("{n:>4}")).concat();
        let (peak, gave_up) = (h.busiest_100ms, h.gave_up);
        println!("  {name:<16}{counts} {peak:>16} {gave_up:>8}");
    }
    println!(
        "\n`jitter = \"additive\"` is the tutorial's Pattern 1 (never sooner than the schedule,"
    );
    println!("at most 1.5 times it); bare `jitter` is full jitter, which spreads a herd further.");
    println!(
        "(The tutorial's loop makes 3 attempts in all, `attempts = 3`; here `max = 3` gives 4.)"
    );
    let took = in_step.took + jittered.took + additive.took;
    println!(
        "simulated time: {:.1}s (tokio's paused clock; no real waiting)",
        took.as_secs_f64()
    );
    Figures {
        in_step,
        jittered,
        additive,
    }
}
