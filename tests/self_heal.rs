//! `#[self_heal]` as users write it, under a paused clock: diagnose, fix,
//! try again; one remedy at a time; the tutorial's receipt.

mod common;

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::Mutex;
use std::time::Duration;

use resilient_async::{self_heal, Heal};
use tokio::time::Instant;

/// The tutorial's receipt: its image may be poor or its text badly
/// encoded, and the pipeline can fix both.
#[derive(Debug, Default)]
struct Receipt {
    id: u32,
    needs_preprocessing: bool,
    needs_encoding_fix: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum OcrError {
    ImageQuality,
    Encoding,
    Unreadable,
}

impl fmt::Display for OcrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// What the remedies did, in order.
static REMEDIES: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// Receipts fixed by a remedy, by id: the OCR reads them afterwards.
static FIXED: Mutex<Vec<(u32, &'static str)>> = Mutex::new(Vec::new());

async fn preprocess_image(id: u32) {
    tokio::time::sleep(Duration::from_millis(200)).await;
    REMEDIES.lock().unwrap().push(format!("preprocess {id}"));
    FIXED.lock().unwrap().push((id, "image"));
}

async fn fix_encoding(id: u32) {
    REMEDIES.lock().unwrap().push(format!("fix encoding {id}"));
    FIXED.lock().unwrap().push((id, "encoding"));
}

fn fixed(id: u32, what: &str) -> bool {
    FIXED.lock().unwrap().contains(&(id, what))
}

/// The diagnostic agent: image quality → preprocess; encoding → fix the
/// encoding; anything else cannot be fixed.
async fn diagnose(error: &OcrError, receipt: &Receipt) -> Heal {
    match error {
        OcrError::ImageQuality => {
            preprocess_image(receipt.id).await;
            Heal::Retry
        }
        OcrError::Encoding => {
            fix_encoding(receipt.id).await;
            Heal::RetryAfter(Duration::from_secs(1))
        }
        OcrError::Unreadable => Heal::GiveUp,
    }
}

static OCR_CALLS: AtomicU32 = AtomicU32::new(0);

#[self_heal(diagnoser = diagnose, max = 3, backoff = "100ms")]
async fn extract(receipt: &Receipt) -> Result<String, OcrError> {
    OCR_CALLS.fetch_add(1, SeqCst);
    if receipt.id == 0 {
        return Err(OcrError::Unreadable);
    }
    if receipt.needs_preprocessing && !fixed(receipt.id, "image") {
        return Err(OcrError::ImageQuality);
    }
    if receipt.needs_encoding_fix && !fixed(receipt.id, "encoding") {
        return Err(OcrError::Encoding);
    }
    Ok(format!("receipt {}: TOTAL 12.50", receipt.id))
}

#[tokio::test(start_paused = true)]
async fn the_tutorial_s_receipt_is_preprocessed_re_encoded_and_read() {
    let receipt = Receipt {
        id: 7,
        needs_preprocessing: true,
        needs_encoding_fix: true,
    };
    let start = Instant::now();
    assert_eq!(extract(&receipt).await.unwrap(), "receipt 7: TOTAL 12.50");
    // fail (image) → preprocess (200 ms) → 100 ms → fail (encoding) → fix →
    // the diagnoser's 1 s (longer than the round's 200 ms) → success.
    assert_eq!(OCR_CALLS.load(SeqCst), 3);
    assert_eq!(
        *REMEDIES.lock().unwrap(),
        ["preprocess 7", "fix encoding 7"]
    );
    assert_eq!(start.elapsed(), Duration::from_millis(200 + 100 + 1000));
    let h = resilient_async::heal::get("extract").unwrap().snapshot();
    assert_eq!((h.diagnosed, h.healed, h.gave_up), (2, 1, 0));

    // Nothing to fix: the error comes back after one diagnosis.
    assert_eq!(
        extract(&Receipt::default()).await,
        Err(OcrError::Unreadable)
    );
    let h = resilient_async::heal::get("extract").unwrap().snapshot();
    assert_eq!((h.diagnosed, h.healed, h.gave_up), (3, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn heal_rounds_end_at_max() {
    static CALLS: AtomicU32 = AtomicU32::new(0);
    async fn always_retry(_: &String) -> Heal {
        Heal::Retry
    }
    #[self_heal(diagnoser = always_retry, max = 2)]
    async fn stuck() -> Result<(), String> {
        CALLS.fetch_add(1, SeqCst);
        Err("still broken".to_string())
    }
    let start = Instant::now();
    assert_eq!(stuck().await, Err("still broken".to_string()));
    assert_eq!(CALLS.load(SeqCst), 3);
    // 100 ms, then 200 ms between rounds.
    assert_eq!(start.elapsed(), Duration::from_millis(300));
    let h = resilient_async::heal::get("stuck").unwrap().snapshot();
    assert_eq!((h.diagnosed, h.gave_up), (2, 1));
}

static CONNECTED: AtomicU32 = AtomicU32::new(0);
static RECONNECTS: AtomicU32 = AtomicU32::new(0);

async fn reconnect(_: &String, _: &u32) -> Heal {
    RECONNECTS.fetch_add(1, SeqCst);
    tokio::time::sleep(Duration::from_secs(2)).await;
    CONNECTED.store(1, SeqCst);
    Heal::Retry
}

#[self_heal(diagnoser = reconnect, max = 2)]
async fn query(id: u32) -> Result<u32, String> {
    if CONNECTED.load(SeqCst) == 1 {
        Ok(id)
    } else {
        Err("connection lost".to_string())
    }
}

#[tokio::test(start_paused = true)]
async fn ten_failing_callers_share_one_remedy() {
    let results = join_all((0..10).map(query).collect()).await;
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    assert_eq!(RECONNECTS.load(SeqCst), 1);
    let h = resilient_async::heal::get("query").unwrap().snapshot();
    assert_eq!((h.diagnosed, h.joined, h.healed), (1, 9, 10));
}

/// Polls futures together on this task.
async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in futures.iter_mut().zip(out.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(Option::unwrap).collect()
}

/// The tutorial's shape (Self-Healing Workflows): the first failure is
/// diagnosed once, the fix applied, then the original call is retried up
/// to three times, 0.5 s and 1 s apart, without diagnosing again: four
/// calls in all.
mod tutorial_shape {
    use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
    use std::sync::Mutex;
    use std::time::Duration;

    use resilient_async::{self_heal, Heal, Transient};
    use tokio::time::Instant;

    #[derive(Debug, Clone, PartialEq, Transient)]
    #[transient]
    enum OcrError {
        ImageQuality,
        Encoding,
        Unavailable,
    }

    impl std::fmt::Display for OcrError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{self:?}")
        }
    }

    /// The receipt's state, and when each OCR call and fix happened.
    #[derive(Default)]
    struct Receipt {
        preprocessed: bool,
        encoding_fixed: bool,
        log: Vec<(Duration, &'static str)>,
    }

    fn at(start: Instant) -> Duration {
        Instant::now() - start
    }

    #[tokio::test(start_paused = true)]
    async fn diagnose_once_fix_then_retry_three_times() {
        static RECEIPT: Mutex<Option<(Instant, Receipt)>> = Mutex::new(None);
        static DIAGNOSES: AtomicU32 = AtomicU32::new(0);
        static CALLS: AtomicU32 = AtomicU32::new(0);
        *RECEIPT.lock().unwrap() = Some((Instant::now(), Receipt::default()));

        // The diagnostic agent: poor image → preprocess; bad encoding → fix it.
        async fn diagnose(error: &OcrError) -> Heal {
            DIAGNOSES.fetch_add(1, SeqCst);
            let mut r = RECEIPT.lock().unwrap();
            let (start, receipt) = r.as_mut().unwrap();
            let now = at(*start);
            if *error == OcrError::ImageQuality {
                receipt.preprocessed = true;
                receipt.log.push((now, "preprocess_image"));
                // The tutorial applies both fixes its diagnosis names.
                receipt.encoding_fixed = true;
                receipt.log.push((now, "fix_encoding"));
            }
            Heal::Retry
        }

        #[self_heal(diagnoser = diagnose, then = retry(attempts = 3, backoff = "500ms"))]
        async fn extract_after_fix() -> Result<&'static str, OcrError> {
            let n = CALLS.fetch_add(1, SeqCst);
            let mut r = RECEIPT.lock().unwrap();
            let (start, receipt) = r.as_mut().unwrap();
            receipt.log.push((at(*start), "ocr"));
            match (receipt.preprocessed, receipt.encoding_fixed, n) {
                (false, _, _) => Err(OcrError::ImageQuality),
                (true, false, _) => Err(OcrError::Encoding),
                // The service is still flaky for two calls after the fix.
                (true, true, 1 | 2) => Err(OcrError::Unavailable),
                _ => Ok("TOTAL 12.50"),
            }
        }

        assert_eq!(extract_after_fix().await, Ok("TOTAL 12.50"));
        let log = RECEIPT.lock().unwrap().take().unwrap().1.log;
        let ms = |n| Duration::from_millis(n);
        assert_eq!(
            log,
            [
                (ms(0), "ocr"),
                (ms(0), "preprocess_image"),
                (ms(0), "fix_encoding"),
                (ms(0), "ocr"),
                (ms(500), "ocr"),
                (ms(1500), "ocr"),
            ]
        );
        assert_eq!(DIAGNOSES.load(SeqCst), 1);
        let h = resilient_async::heal::get("self_heal::tutorial_shape::extract_after_fix")
            .unwrap()
            .snapshot();
        assert_eq!((h.diagnosed, h.healed, h.gave_up), (1, 1, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn after_three_failed_retries_the_last_error_is_returned() {
        static CALLS: Mutex<Vec<Duration>> = Mutex::new(Vec::new());
        static DIAGNOSES: AtomicU32 = AtomicU32::new(0);
        async fn diagnose(_: &OcrError, _: &Instant) -> Heal {
            DIAGNOSES.fetch_add(1, SeqCst);
            Heal::Retry
        }
        let start = Instant::now();
        #[self_heal(diagnoser = diagnose, then = retry(attempts = 3, backoff = "500ms"))]
        async fn down_after_fix(start: Instant) -> Result<(), OcrError> {
            CALLS.lock().unwrap().push(Instant::now() - start);
            Err(OcrError::Unavailable)
        }
        assert_eq!(down_after_fix(start).await, Err(OcrError::Unavailable));
        let ms = |n| Duration::from_millis(n);
        assert_eq!(*CALLS.lock().unwrap(), [ms(0), ms(0), ms(500), ms(1500)]);
        assert_eq!(DIAGNOSES.load(SeqCst), 1);
        let h = resilient_async::heal::get("self_heal::tutorial_shape::down_after_fix")
            .unwrap()
            .snapshot();
        assert_eq!((h.diagnosed, h.healed, h.gave_up), (1, 0, 1));
    }
}
