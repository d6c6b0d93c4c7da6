//! Receipts through a flaky OCR service: retries with backoff and jitter,
//! a per-attempt timeout, Retry-After on rate limits, and no retry for
//! receipts that can never be read. Prints each function's figures.
//!
//! ```text
//! cargo run --example retry                 # 40 receipts, seed 7
//! cargo run --example retry -- 100 42 -v    # receipts, seed, tracing output
//! ```

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use resilient_async::{retry, TimedOut, Transient};

/// How the OCR service can fail, and which failures are worth retrying.
#[derive(Debug, Transient)]
enum OcrError {
    /// 503: the model is overloaded.
    #[transient]
    Unavailable,
    /// 429: come back later.
    #[transient]
    RateLimited {
        #[retry_after]
        retry_after: Duration,
    },
    /// The attempt took longer than its timeout.
    #[transient]
    TimedOut(TimedOut),
    /// 400: the image is not a receipt; retrying cannot help.
    #[permanent]
    Unreadable,
}

impl fmt::Display for OcrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OcrError::Unavailable => f.write_str("503 service unavailable"),
            OcrError::RateLimited { retry_after } => {
                write!(f, "429 too many requests (retry after {retry_after:?})")
            }
            OcrError::TimedOut(t) => t.fmt(f),
            OcrError::Unreadable => f.write_str("400 unreadable image"),
        }
    }
}

impl From<TimedOut> for OcrError {
    fn from(t: TimedOut) -> Self {
        OcrError::TimedOut(t)
    }
}

/// A stand-in for a remote OCR model: seeded, so every run is the same.
struct FlakyOcr {
    rng: Mutex<SmallRng>,
}

impl FlakyOcr {
    async fn extract(&self, receipt: u32) -> Result<String, OcrError> {
        let roll: f64 = self.rng.lock().unwrap().random();
        match roll {
            r if r < 0.02 => Err(OcrError::Unreadable),
            r if r < 0.20 => Err(OcrError::Unavailable),
            r if r < 0.27 => Err(OcrError::RateLimited {
                retry_after: Duration::from_millis(150),
            }),
            r if r < 0.32 => {
                // Slower than the attempt's timeout.
                tokio::time::sleep(Duration::from_secs(5)).await;
                unreachable!("cut short by the timeout")
            }
            _ => {
                tokio::time::sleep(Duration::from_millis(5)).await;
                Ok(format!(
                    "receipt {receipt}: TOTAL {}.{:02}",
                    receipt % 90 + 3,
                    receipt % 100
                ))
            }
        }
    }
}

#[retry(max = 3, backoff = "20ms", jitter, timeout = "200ms", deadline = "2s")]
async fn read_receipt(ocr: &FlakyOcr, receipt: u32) -> Result<String, OcrError> {
    let attempt = resilient_async::attempt().expect("inside #[retry]");
    if attempt.is_retry() {
        // Sent with every request so the service can spot a repeat.
        let _idempotency_key = attempt.idempotency_key();
    }
    ocr.extract(receipt).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let receipts: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(40);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    if std::env::args().any(|a| a == "-v" || a == "--verbose") {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .init();
    }
    resilient_async::seed_jitter(seed);
    let ocr = FlakyOcr {
        rng: Mutex::new(SmallRng::seed_from_u64(seed)),
    };

    let started = std::time::Instant::now();
    let mut failed = Vec::new();
    for receipt in 1..=receipts {
        match read_receipt(&ocr, receipt).await {
            Ok(_text) => {}
            Err(e) => failed.push((receipt, e)),
        }
    }

    let m = resilient_async::metrics::get("read_receipt")
        .expect("called above")
        .snapshot();
    println!(
        "{receipts} receipts through a flaky OCR service (seed {seed}) in {:.2?}",
        started.elapsed()
    );
    println!("  succeeded      {:>6}", m.successes);
    println!("  failed         {:>6}", m.failures);
    println!("  success rate   {:>6.1}%", m.success_rate() * 100.0);
    println!(
        "  attempts       {:>6}  ({:.2} per receipt)",
        m.attempts,
        m.avg_attempts()
    );
    println!(
        "  retries        {:>6}  ({:.2} per receipt)",
        m.retries,
        m.retry_rate()
    );
    println!("  timeouts       {:>6}", m.timeouts);
    for (receipt, error) in &failed {
        println!("  receipt {receipt:>4} failed: {error}");
    }
}
