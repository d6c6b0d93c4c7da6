//! The tutorial's self-healing workflow, fail → diagnose → fix → retry, on
//! receipts: an OCR failure goes to a diagnoser, which runs the fix that
//! matches the error (poor image quality → preprocess the image; bad text
//! encoding → fix the encoding) and returns `resilient_async::Heal::Retry`, or
//! `Heal::GiveUp` when nothing can help. `#[self_heal]` then runs the OCR
//! again. Runs under tokio's paused clock.
//!
//! Here every round diagnoses, so a receipt with two problems gets both
//! fixes in turn. The tutorial's exact shape, one diagnosis and then the
//! original call retried at once, 0.5 s and 1.5 s later, is
//! `#[self_heal(diagnoser = diagnose, then = retry(attempts = 3, backoff =
//! "500ms"))]` (`tests/self_heal.rs` replays it).
//!
//! ```text
//! cargo run --example self_heal
//! ```

use std::fmt;
use std::process::{ExitCode, Termination};
use std::sync::Mutex;
use std::time::Duration;

use resilient_async::heal::{self, HealSnapshot};
use resilient_async::{self_heal, Heal};
use tokio::time::{sleep, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcrError {
    ImageQuality,
    Encoding,
    Unreadable,
}

impl fmt::Display for OcrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OcrError::ImageQuality => "image too blurry",
            OcrError::Encoding => "text not UTF-8",
            OcrError::Unreadable => "not a receipt",
        })
    }
}

/// A scanned receipt: what is wrong with it, and what happened to it.
struct Receipt {
    id: u32,
    problems: Mutex<Vec<OcrError>>,
    log: Mutex<Vec<String>>,
}

impl Receipt {
    fn note(&self, step: String) {
        self.log.lock().unwrap().push(step);
    }

    /// A fix: the problem is gone after a while.
    async fn fix(&self, problem: OcrError, tool: &str, secs: u64) {
        sleep(Duration::from_secs(secs)).await;
        self.problems.lock().unwrap().retain(|p| *p != problem);
        self.note(tool.to_string());
    }
}

/// The diagnostic agent: reads the error and applies the matching fix.
async fn diagnose(error: &OcrError, receipt: &Receipt) -> Heal {
    match error {
        OcrError::ImageQuality => receipt.fix(*error, "preprocess_image", 2).await,
        OcrError::Encoding => receipt.fix(*error, "fix_encoding", 1).await,
        OcrError::Unreadable => return Heal::GiveUp,
    }
    Heal::Retry
}

/// At most two heal rounds, 0.5 s then 1 s after the fix.
#[self_heal(diagnoser = diagnose, max = 2, backoff = "500ms")]
async fn extract_text(receipt: &Receipt) -> Result<String, OcrError> {
    sleep(Duration::from_secs(1)).await;
    let problem = receipt.problems.lock().unwrap().first().copied();
    let out = match problem {
        Some(e) => Err(e),
        None => Ok(format!("TOTAL {}.50", receipt.id * 4)),
    };
    match &out {
        Ok(text) => receipt.note(format!("ocr: {text}")),
        Err(e) => receipt.note(format!("ocr: {e}")),
    }
    out
}

/// Each receipt's steps and outcome, and `heal::get`'s figures.
#[derive(Debug)]
pub struct Figures {
    pub receipts: Vec<(Vec<String>, Result<String, OcrError>)>,
    pub heal: HealSnapshot,
}

impl Termination for Figures {
    fn report(self) -> ExitCode {
        ExitCode::SUCCESS
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
pub async fn main() -> Figures {
    use OcrError::*;
    let start = Instant::now();
    let problems = [
        vec![],
        vec![ImageQuality],
        vec![Encoding],
        vec![ImageQuality, Encoding],
        vec![Unreadable],
    ];
    let mut receipts = Vec::new();
    println!("Five receipts through #[self_heal(diagnoser = diagnose, max = 2)]:");
    println!("(each round diagnoses; the tutorial diagnoses once, then retries: `then = retry(attempts = 3, backoff = \"500ms\")`)");
    for (id, problems) in (1..).zip(problems) {
        let receipt = Receipt {
            id,
            problems: Mutex::new(problems),
            log: Mutex::new(Vec::new()),
        };
        let out = extract_text(&receipt).await;
        let log = receipt.log.into_inner().unwrap();
        let end = if out.is_ok() { "" } else { " -> gave up" };
        println!("  receipt {id}: {}{end}", log.join(" -> "));
        receipts.push((log, out));
    }
    let heal = heal::get("extract_text")
        .expect("extract_text healed")
        .snapshot();
    println!(
        "\nheal::get(\"extract_text\"): {} diagnosed, {} healed, {} gave up",
        heal.diagnosed, heal.healed, heal.gave_up
    );
    let took = start.elapsed().as_secs_f64();
    println!("simulated time: {took:.1}s (tokio's paused clock; no real waiting)");
    Figures { receipts, heal }
}
