// One remedy at a time per function: a call that fails while another call's
// remedy runs waits for it, then tries again without diagnosing.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use resilient_async::{self_heal, Heal};
use tokio::time::{sleep, Instant};

static DIAGNOSES: AtomicU32 = AtomicU32::new(0);
static RUNS: AtomicU32 = AtomicU32::new(0);

async fn reconnect(_: &io::Error, up: &AtomicBool, _: &u32) -> Heal {
    DIAGNOSES.fetch_add(1, SeqCst);
    sleep(Duration::from_secs(1)).await;
    up.store(true, SeqCst);
    Heal::Retry
}

#[self_heal(diagnoser = reconnect, backoff = "10ms")]
async fn fetch(up: &AtomicBool, id: u32) -> io::Result<u32> {
    RUNS.fetch_add(1, SeqCst);
    if !up.load(SeqCst) {
        return Err(io::ErrorKind::ConnectionReset.into());
    }
    Ok(id)
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let up = AtomicBool::new(false);
    let start = Instant::now();
    let (a, b, c) = tokio::join!(fetch(&up, 1), fetch(&up, 2), fetch(&up, 3));
    assert_eq!((a.unwrap(), b.unwrap(), c.unwrap()), (1, 2, 3));
    // One remedy (1s) for the three calls, then each call's 10ms backoff.
    assert_eq!(start.elapsed(), Duration::from_millis(1010));
    assert_eq!((DIAGNOSES.load(SeqCst), RUNS.load(SeqCst)), (1, 6));
    let figures = resilient_async::heal::get("fetch").unwrap().snapshot();
    assert_eq!(
        (
            figures.diagnosed,
            figures.joined,
            figures.healed,
            figures.gave_up
        ),
        (1, 2, 3, 0)
    );
}
