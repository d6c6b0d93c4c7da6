//! The calls a rate-based breaker measures its failure rate over.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU64, AtomicU8};
use std::sync::OnceLock;

use super::config::Window;

/// How a finished call counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Success = 1,
    Failure = 2,
    Slow = 3,
}

/// Calls, failures and slow calls in the window now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) calls: u64,
    pub(crate) failures: u64,
    pub(crate) slow: u64,
}

const BUCKETS: u64 = 10;
const FIELD: u64 = 0xFFFF;

/// A count window (a ring of the last `n` outcomes) or a time window (ten
/// buckets, each a packed word: slice tag, calls, failures, slow).
#[derive(Debug)]
pub(crate) struct Calls {
    ring: OnceLock<Box<[AtomicU8]>>,
    head: AtomicU64,
    buckets: [AtomicU64; BUCKETS as usize],
}

impl Calls {
    pub(crate) const fn new() -> Self {
        Calls {
            ring: OnceLock::new(),
            head: AtomicU64::new(0),
            buckets: [const { AtomicU64::new(0) }; BUCKETS as usize],
        }
    }

    fn ring(&self, n: u32) -> &[AtomicU8] {
        // Allocated once per breaker, on its first call in rate mode.
        self.ring
            .get_or_init(|| (0..n).map(|_| AtomicU8::new(0)).collect())
    }

    pub(crate) fn record(&self, window: Window, now: u64, outcome: Outcome) {
        match window {
            Window::Calls(n) => {
                let i = self.head.fetch_add(1, Relaxed) % n as u64;
                self.ring(n)[i as usize].store(outcome as u8, Relaxed);
            }
            Window::Time(span) => {
                let slice = now / bucket_nanos(span);
                let bucket = &self.buckets[(slice % BUCKETS) as usize];
                let tag = slice & FIELD;
                let _ = bucket.fetch_update(Relaxed, Relaxed, |word| {
                    let mut b = if word >> 48 == tag { word } else { tag << 48 };
                    b = bump(b, 32);
                    match outcome {
                        Outcome::Success => {}
                        Outcome::Failure => b = bump(b, 16),
                        Outcome::Slow => b = bump(b, 0),
                    }
                    Some(b)
                });
            }
        }
    }

    /// Counts what the window holds at `now`. O(window) for a count window,
    /// so it runs only after a failure or a slow call.
    pub(crate) fn tally(&self, window: Window, now: u64) -> Tally {
        let mut t = Tally::default();
        match window {
            Window::Calls(n) => {
                for slot in self.ring(n) {
                    match slot.load(Relaxed) {
                        0 => continue,
                        2 => t.failures += 1,
                        3 => t.slow += 1,
                        _ => {}
                    }
                    t.calls += 1;
                }
            }
            Window::Time(span) => {
                let slice = now / bucket_nanos(span);
                for bucket in &self.buckets {
                    let b = bucket.load(Relaxed);
                    if slice.wrapping_sub(b >> 48) & FIELD < BUCKETS {
                        t.calls += b >> 32 & FIELD;
                        t.failures += b >> 16 & FIELD;
                        t.slow += b & FIELD;
                    }
                }
            }
        }
        t
    }

    /// Forgets every call: the breaker opened, and what it measures next
    /// starts afresh after it closes.
    pub(crate) fn clear(&self) {
        self.head.store(0, Relaxed);
        if let Some(ring) = self.ring.get() {
            ring.iter().for_each(|slot| slot.store(0, Relaxed));
        }
        self.buckets.iter().for_each(|b| b.store(0, Relaxed));
    }
}

fn bucket_nanos(span: std::time::Duration) -> u64 {
    (span.as_nanos() as u64 / BUCKETS).max(1)
}

/// Adds one to the 16-bit field at `shift`, saturating.
fn bump(word: u64, shift: u32) -> u64 {
    if word >> shift & FIELD == FIELD {
        word
    } else {
        word + (1 << shift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_count_window_keeps_the_last_n_outcomes() {
        let calls = Calls::new();
        let w = Window::Calls(4);
        for o in [
            Outcome::Failure,
            Outcome::Failure,
            Outcome::Success,
            Outcome::Slow,
        ] {
            calls.record(w, 0, o);
        }
        assert_eq!(
            calls.tally(w, 0),
            Tally {
                calls: 4,
                failures: 2,
                slow: 1
            }
        );
        calls.record(w, 0, Outcome::Success);
        calls.record(w, 0, Outcome::Success);
        assert_eq!(
            calls.tally(w, 0),
            Tally {
                calls: 4,
                failures: 0,
                slow: 1
            }
        );
        calls.clear();
        assert_eq!(calls.tally(w, 0), Tally::default());
    }

    #[test]
    fn a_time_window_drops_buckets_older_than_the_span() {
        let calls = Calls::new();
        let w = Window::Time(Duration::from_nanos(1_000));
        calls.record(w, 50, Outcome::Failure);
        calls.record(w, 950, Outcome::Success);
        assert_eq!(
            calls.tally(w, 999),
            Tally {
                calls: 2,
                failures: 1,
                slow: 0
            }
        );
        // At 1000 the bucket of 0..100 is ten buckets old.
        assert_eq!(
            calls.tally(w, 1_000),
            Tally {
                calls: 1,
                failures: 0,
                slow: 0
            }
        );
        // A call in a reused bucket replaces the stale one.
        calls.record(w, 1_010, Outcome::Slow);
        assert_eq!(
            calls.tally(w, 1_010),
            Tally {
                calls: 2,
                failures: 0,
                slow: 1
            }
        );
    }
}
