//! The tutorial's scenario 2, a rate limit: a 429 carries the server's
//! `Retry-After`, read through `#[derive(Transient)]`'s `#[retry_after]`
//! field. The retry waits exactly that long instead of its shorter backoff,
//! so it does not knock on a closed door; a hint longer than `max_delay`
//! (a daily quota) ends the retries at once. Runs under tokio's paused clock.
//!
//! ```text
//! cargo run --example rate_limit
//! ```

use std::fmt;
use std::process::{ExitCode, Termination};
use std::sync::Mutex;
use std::time::Duration;

use resilient_async::{retry, Transient};
use tokio::time::Instant;

#[derive(Debug, Transient)]
pub enum ApiError {
    /// 429 Too Many Requests: the quota is used up for `retry_after`.
    #[transient]
    RateLimited {
        #[retry_after]
        retry_after: Duration,
    },
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ApiError::RateLimited { retry_after } = self;
        write!(f, "429 (Retry-After: {})", retry_after.as_secs())
    }
}

/// An API allowing `limit` requests per `window`, logging each request.
struct Api {
    limit: u32,
    window: Duration,
    quota: Mutex<(Instant, u32)>, // the current window's start, requests in it
    log: Mutex<Vec<String>>,
}

impl Api {
    async fn complete(&self, started: Instant) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut quota = self.quota.lock().unwrap();
        if now - quota.0 >= self.window {
            *quota = (now, 0);
        }
        quota.1 += 1;
        let at = (now - started).as_secs();
        let (out, what) = if quota.1 <= self.limit {
            (Ok(()), format!("{at}s 200"))
        } else {
            let retry_after = quota.0 + self.window - now;
            let what = format!("{at}s 429 (wait {}s)", retry_after.as_secs());
            (Err(ApiError::RateLimited { retry_after }), what)
        };
        self.log.lock().unwrap().push(what);
        out
    }
}

#[retry(attempts = 5, backoff = "1s", max_delay = "30s")]
async fn complete(api: &Api, started: Instant) -> Result<(), ApiError> {
    api.complete(started).await
}

/// The tutorial's loop, waiting 1 s, 2 s, 4 s… whatever the server said:
/// the error is wrapped in a type that does not tell its `Retry-After`
/// (no `Transient`), and a `retry_if` predicate retries it.
#[retry(attempts = 5, backoff = "1s", max_delay = "30s", retry_if = always)]
async fn complete_blindly(api: &Api, started: Instant) -> Result<(), Blind> {
    api.complete(started).await.map_err(Blind)
}

/// An error that keeps its hint to itself.
#[derive(Debug)]
struct Blind(ApiError);

impl fmt::Display for Blind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("429")
    }
}

fn always(_: &Blind) -> bool {
    true
}

/// The requests of each case, as the server logged them.
#[derive(Debug)]
pub struct Figures {
    pub honoured: Vec<String>,
    pub ignored: Vec<String>,
    pub daily: Vec<String>,
}

impl Termination for Figures {
    fn report(self) -> ExitCode {
        ExitCode::SUCCESS
    }
}

/// Four calls at once against 3 requests per 10 s (or one against a daily
/// quota that is used up); returns the server's log of the last call.
async fn case(honour: bool, daily: bool) -> Vec<String> {
    let (limit, window) = if daily { (0, 24 * 3600) } else { (3, 10) };
    let (started, window) = (Instant::now(), Duration::from_secs(window));
    let (quota, log) = (Mutex::new((started, 0)), Mutex::new(Vec::new()));
    let api = Api {
        limit,
        window,
        quota,
        log,
    };
    for _ in 0..if daily { 1 } else { 4 } {
        api.log.lock().unwrap().clear();
        let out = match honour {
            true => complete(&api, started).await,
            false => complete_blindly(&api, started).await.map_err(|b| b.0),
        };
        assert_eq!(out.is_ok(), !daily, "served once the quota resets");
    }
    api.log.into_inner().unwrap()
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
pub async fn main() -> Figures {
    let start = Instant::now();
    let f = Figures {
        honoured: case(true, false).await,
        ignored: case(false, false).await,
        daily: case(true, true).await,
    };
    println!("3 requests per 10 s allowed; 4 calls at once. The 4th call's requests:");
    println!("  honouring Retry-After   {}", f.honoured.join(" -> "));
    println!("  ignoring it (retry_if)  {}", f.ignored.join(" -> "));
    println!("A daily quota, used up: its Retry-After exceeds max_delay = \"30s\"");
    println!(
        "  honouring Retry-After   {} -> gave up at once",
        f.daily[0]
    );
    let took = start.elapsed().as_secs();
    println!("simulated time: {took}s (tokio's paused clock; no real waiting)");
    f
}
