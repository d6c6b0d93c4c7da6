//! The tutorial's scenario 1, an API timeout: a model that answers slowly
//! while it warms up (50 s per answer for its first two minutes). A fixed
//! 30 s limit per attempt never gets an answer; `timeout_factor = 2.0`
//! grows the limit to 30 s, 60 s, 120 s, and the second attempt gets one.
//! Three attempts in all, as the tutorial's `for attempt in range(3)`
//! (`attempts = 3`), 0.1 s and 0.2 s apart. Runs under tokio's paused
//! clock, so the waits take no real time.
//!
//! ```text
//! cargo run --example timeout_growth
//! ```

use std::io;
use std::process::{ExitCode, Termination};
use std::sync::Mutex;
use std::time::Duration;

use resilient_async::retry;
use tokio::time::{sleep, Instant};

/// One attempt as the model saw it: when it started, how long it ran, and
/// whether it answered or was cut short by the attempt's time limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Try {
    pub at: Duration,
    pub ran: Duration,
    pub answered: bool,
}

/// A model that takes 50 s per answer until it is warm, 2 minutes after start.
struct Llm {
    started: Instant,
    tries: Mutex<Vec<Try>>,
}

impl Llm {
    async fn generate(&self, prompt: &str) -> io::Result<String> {
        /// Records the attempt when it ends, even when the timeout drops it.
        struct Watch<'a>(&'a Llm, Instant, bool);
        impl Drop for Watch<'_> {
            fn drop(&mut self) {
                let (at, ran) = (self.1 - self.0.started, self.1.elapsed());
                let answered = self.2;
                self.0.tries.lock().unwrap().push(Try { at, ran, answered });
            }
        }
        let mut watch = Watch(self, Instant::now(), false);
        let warm = self.started.elapsed() >= Duration::from_secs(120);
        sleep(Duration::from_secs(if warm { 5 } else { 50 })).await;
        watch.2 = true;
        Ok(format!("a haiku about {prompt}"))
    }
}

// `io::Error` has `From<TimedOut>`, and a timed-out one is transient.
#[retry(attempts = 3, backoff = "100ms", timeout = "30s")]
async fn generate_fixed(llm: &Llm, prompt: &str) -> io::Result<String> {
    llm.generate(prompt).await
}

#[retry(attempts = 3, backoff = "100ms", timeout = "30s", timeout_factor = 2.0)]
async fn generate_growing(llm: &Llm, prompt: &str) -> io::Result<String> {
    llm.generate(prompt).await
}

/// One policy's run: each attempt, the outcome, and the simulated time.
#[derive(Debug)]
pub struct Run {
    pub tries: Vec<Try>,
    pub outcome: io::Result<String>,
    pub took: Duration,
}

/// What `main` printed, returned so that `tests/examples.rs` can check it.
#[derive(Debug)]
pub struct Figures {
    pub fixed: Run,
    pub growing: Run,
}

impl Termination for Figures {
    fn report(self) -> ExitCode {
        ExitCode::SUCCESS
    }
}

async fn run(growing: bool) -> Run {
    let llm = Llm {
        started: Instant::now(),
        tries: Mutex::new(Vec::new()),
    };
    let outcome = match growing {
        false => generate_fixed(&llm, "retries").await,
        true => generate_growing(&llm, "retries").await,
    };
    let took = llm.started.elapsed();
    Run {
        tries: llm.tries.into_inner().unwrap(),
        outcome,
        took,
    }
}

fn show(title: &str, run: &Run) {
    println!("\n{title}");
    for (n, t) in run.tries.iter().enumerate() {
        let what = if t.answered {
            "answered after"
        } else {
            "cut short after"
        };
        let (at, ran) = (t.at.as_secs_f64(), t.ran.as_secs_f64());
        println!("  attempt {}  at {at:>5.1}s  {what} {ran:.1}s", n + 1);
    }
    match &run.outcome {
        Ok(text) => println!("  -> ok: {text:?}"),
        Err(e) => println!("  -> gave up: {e}"),
    }
    println!("  simulated time: {:.1}s", run.took.as_secs_f64());
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
pub async fn main() -> Figures {
    let (fixed, growing) = (run(false).await, run(true).await);
    println!("A model that needs 50 s per answer until it has warmed up (2 minutes).");
    show(
        "#[retry(attempts = 3, timeout = \"30s\")]: 30 s for every attempt",
        &fixed,
    );
    show(
        "#[retry(attempts = 3, timeout = \"30s\", timeout_factor = 2.0)]: 30 s, 60 s, 120 s",
        &growing,
    );
    println!("\n(tokio's paused clock: the simulated minutes took no real time)");
    Figures { fixed, growing }
}
