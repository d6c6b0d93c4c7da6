// A renamed attribute written first recognises its siblings by their own
// names and composes in the canonical order: the breaker sees each attempt.
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use resilient_async::circuit_breaker as breaker;
use resilient_async::{retry, CircuitOpen, TimedOut, Transient};

#[derive(Debug, Transient)]
enum E {
    #[transient]
    Down,
    #[delegate]
    Open(CircuitOpen),
    #[transient]
    Late(TimedOut),
}

impl std::fmt::Display for E {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl From<CircuitOpen> for E {
    fn from(o: CircuitOpen) -> Self {
        E::Open(o)
    }
}

impl From<TimedOut> for E {
    fn from(t: TimedOut) -> Self {
        E::Late(t)
    }
}

static CALLS: AtomicU32 = AtomicU32::new(0);

#[breaker(threshold = 2, cooldown = "1h")]
#[retry(max = 3, backoff = "1ms")]
async fn fetch() -> Result<u32, E> {
    CALLS.fetch_add(1, SeqCst);
    Err(E::Down)
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    // Two attempts open the breaker; the third is refused, and the retry
    // gives up at once (the cooldown is longer than its max_delay).
    assert!(matches!(fetch().await, Err(E::Open(_))));
    assert_eq!(CALLS.load(SeqCst), 2);
}
