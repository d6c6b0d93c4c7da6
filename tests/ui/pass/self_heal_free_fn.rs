use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use resilient_async::{heal, self_heal, Heal};

static DIAGNOSES: AtomicU32 = AtomicU32::new(0);

#[derive(Debug, Clone, Copy, PartialEq)]
enum OcrError {
    PoorImage,
    Encoding,
}

impl fmt::Display for OcrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

fn assert_send<T: Send>(_: T) {}

/// The error, then each argument by reference.
async fn diagnose(
    error: &OcrError,
    image: &Vec<u8>,
    page: &str,
    _: &OcrError,
    attempts: &AtomicU32,
    _: &u32,
) -> Heal {
    DIAGNOSES.fetch_add(1, SeqCst);
    assert_eq!((image.as_slice(), page), (&[1, 2, 3][..], "p1"));
    assert!(attempts.load(SeqCst) > 0);
    match error {
        OcrError::PoorImage => Heal::Retry,
        OcrError::Encoding => Heal::GiveUp,
    }
}

/// Fails with `error` on its first `fails` runs.
#[self_heal(diagnoser = diagnose, max = 2)]
async fn read_receipt(
    image: Vec<u8>,
    page: &str,
    error: OcrError,
    attempts: &AtomicU32,
    fails: u32,
) -> Result<String, OcrError> {
    if attempts.fetch_add(1, SeqCst) < fails {
        return Err(error);
    }
    Ok(format!("{} bytes of {page}", image.len()))
}

async fn run(error: OcrError, fails: u32) -> (Result<String, OcrError>, u32, u32) {
    let attempts = AtomicU32::new(0);
    let before = DIAGNOSES.load(SeqCst);
    let out = read_receipt(vec![1, 2, 3], "p1", error, &attempts, fails).await;
    (out, attempts.load(SeqCst), DIAGNOSES.load(SeqCst) - before)
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let attempts = AtomicU32::new(0);
    assert_send(read_receipt(
        Vec::new(),
        "",
        OcrError::Encoding,
        &attempts,
        0,
    ));

    // No failure: no diagnosis. The healer is listed before any.
    assert_eq!(
        run(OcrError::PoorImage, 0).await,
        (Ok("3 bytes of p1".to_owned()), 1, 0)
    );
    assert_eq!(heal::get("read_receipt").unwrap().snapshot().diagnosed, 0);
    // Healed after one round.
    assert_eq!(
        run(OcrError::PoorImage, 1).await,
        (Ok("3 bytes of p1".to_owned()), 2, 1)
    );
    // `max = 2`: three runs, two diagnoses, then the error.
    assert_eq!(
        run(OcrError::PoorImage, 9).await,
        (Err(OcrError::PoorImage), 3, 2)
    );
    // The diagnoser gives up: the error at once.
    assert_eq!(
        run(OcrError::Encoding, 9).await,
        (Err(OcrError::Encoding), 1, 1)
    );

    let figures = heal::get("read_receipt").unwrap().snapshot();
    assert_eq!(figures.name, "read_receipt");
    assert_eq!(
        (
            figures.diagnosed,
            figures.joined,
            figures.healed,
            figures.gave_up
        ),
        (4, 0, 1, 2)
    );
}
