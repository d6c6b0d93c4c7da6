//! Partial success: a batch of receipts through `resilient_async::batch::Batch`,
//! four at a time. Some receipts fail and one trips a bug that panics; the
//! batch keeps going, and returns every receipt exactly once, as a success
//! with its value or a failure with its error (the panic included), so the
//! failures can be retried or reported. Runs under tokio's paused clock.
//!
//! ```text
//! cargo run --example partial_success
//! ```

use std::process::{ExitCode, Termination};
use std::time::Duration;

use resilient_async::batch::Batch;
use resilient_async::ItemError;
use tokio::time::{sleep, Instant};

/// A receipt and the text its OCR finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    pub id: u32,
    pub text: &'static str,
}

/// Reads a receipt's total, in cents. Its parser has a bug: a total without
/// cents (`TOTAL 12`) panics on an `unwrap`.
async fn process_receipt(receipt: &Receipt) -> Result<u64, String> {
    sleep(Duration::from_millis(200 + 100 * u64::from(receipt.id % 3))).await;
    if receipt.text.is_empty() {
        return Err("no text found in the image".into());
    }
    let total = receipt.text.strip_prefix("TOTAL ").ok_or("no TOTAL line")?;
    let (units, cents) = total.split_once('.').unwrap();
    let number = |s: &str| {
        s.parse::<u64>()
            .map_err(|e| format!("bad total {total:?}: {e}"))
    };
    Ok(number(units)? * 100 + number(cents)?)
}

/// The batch's outcome, each list in input order, and the order in which
/// receipts finished (`.` a success, `x` a failure).
#[derive(Debug)]
pub struct Figures {
    pub success_rate: f64,
    pub successes: Vec<(Receipt, u64)>,
    pub failures: Vec<(Receipt, ItemError<String>)>,
    pub progress: String,
}

impl Termination for Figures {
    fn report(self) -> ExitCode {
        ExitCode::SUCCESS
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
pub async fn main() -> Figures {
    let start = Instant::now();
    let texts = [
        "TOTAL 12.50",
        "TOTAL 8.99",
        "TOTAL 23.10",
        "",
        "TOTAL 4.75",
        "TOTAL 19.99",
        "Thank you!",
        "TOTAL 7.25",
        "TOTAL 12",
        "TOTAL 31.40",
        "TOTAL 1O.00",
        "TOTAL 5.05",
    ];
    let receipts = (1..).zip(texts).map(|(id, text)| Receipt { id, text });
    println!("12 receipts, 4 at a time. One makes the parser panic: Rust prints the panic");
    println!("on stderr, as always, and the batch carries on.");
    let mut progress = String::new();
    let report = Batch::new(receipts)
        .concurrency(4)
        .on_progress(|p| progress.push(if p.succeeded { '.' } else { 'x' }))
        .run(process_receipt)
        .await;
    let success_rate = report.success_rate();
    let (successes, failures) = report.into_parts();
    let cents: u64 = successes.iter().map(|(_, c)| c).sum();
    println!("\nfinished in this order: {progress}");
    println!(
        "{} of 12 read ({:.1}%), totalling {}.{:02}; these failed:",
        successes.len(),
        success_rate * 100.0,
        cents / 100,
        cents % 100
    );
    for (receipt, error) in &failures {
        println!(
            "  receipt {:>2} {:<14} {error}",
            receipt.id,
            format!("{:?}", receipt.text)
        );
    }
    let took = start.elapsed().as_secs_f64();
    println!("simulated time: {took:.1}s (tokio's paused clock; no real waiting)");
    Figures {
        success_rate,
        successes,
        failures,
        progress,
    }
}
