//! The calls a rate-based breaker measures its rates over: exact counts at
//! any rate and age.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicU8};
use std::sync::{Mutex, OnceLock};

use super::config::Window;

/// How a finished call counts: failed, slow, both or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) failed: bool,
    pub(crate) slow: bool,
}

impl Outcome {
    /// A ring slot: 0 is empty.
    fn bits(self) -> u8 {
        1 | u8::from(self.failed) << 1 | u8::from(self.slow) << 2
    }
}

/// Calls, failures and slow calls in the window now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) calls: u64,
    pub(crate) failures: u64,
    pub(crate) slow: u64,
}

const BUCKETS: usize = 10;

/// One tenth of a time window: the slice it counts, by its full number, so
/// that no age makes an old bucket look current.
#[derive(Debug, Default, Clone, Copy)]
struct Bucket {
    slice: u64,
    tally: Tally,
}

/// A count window (a ring of the last `n` outcomes, with running totals)
/// or a time window (ten buckets).
#[derive(Debug)]
pub(crate) struct Calls {
    ring: OnceLock<Box<[AtomicU8]>>,
    /// Outcomes recorded since the last clear.
    head: AtomicU64,
    /// The ring's failures and slow calls; each swap of a slot adjusts
    /// them, so they are exact once the swaps in flight land (and never
    /// read below zero meanwhile).
    failures: AtomicI64,
    slow: AtomicI64,
    /// Allocated on the first call in a time window, like the ring: a
    /// breaker that counts consecutive failures (every per-key breaker by
    /// default) holds neither.
    buckets: OnceLock<Box<[Mutex<Bucket>; BUCKETS]>>,
}

impl Calls {
    pub(crate) const fn new() -> Self {
        Calls {
            ring: OnceLock::new(),
            head: AtomicU64::new(0),
            failures: AtomicI64::new(0),
            slow: AtomicI64::new(0),
            buckets: OnceLock::new(),
        }
    }

    fn buckets(&self) -> &[Mutex<Bucket>; BUCKETS] {
        self.buckets
            .get_or_init(|| Box::new(std::array::from_fn(|_| Mutex::default())))
    }

    fn ring(&self, n: u32) -> &[AtomicU8] {
        // Allocated once per breaker, on its first call in rate mode.
        self.ring
            .get_or_init(|| (0..n).map(|_| AtomicU8::new(0)).collect())
    }

    /// Records an outcome at `now` (nanoseconds on the breaker clock) and
    /// returns what the window holds after it.
    pub(crate) fn record(&self, window: Window, now: u64, outcome: Outcome) -> Tally {
        match window {
            Window::Calls(n) => {
                let i = self.head.fetch_add(1, Relaxed) % u64::from(n.max(1));
                let old = self.ring(n)[i as usize].swap(outcome.bits(), Relaxed);
                let delta =
                    |bit: u8| i64::from(outcome.bits() >> bit & 1) - i64::from(old >> bit & 1);
                self.failures.fetch_add(delta(1), Relaxed);
                self.slow.fetch_add(delta(2), Relaxed);
                self.tally(window, now)
            }
            Window::Time(span) => {
                let slice = now / bucket_nanos(span);
                let mut b = lock(&self.buckets()[(slice % BUCKETS as u64) as usize]);
                if b.slice != slice {
                    if b.slice > slice && b.tally.calls > 0 {
                        // A newer slice owns this bucket: this outcome is a
                        // window old already.
                        drop(b);
                        return self.tally(window, now);
                    }
                    *b = Bucket {
                        slice,
                        tally: Tally::default(),
                    };
                }
                b.tally.calls += 1;
                b.tally.failures += u64::from(outcome.failed);
                b.tally.slow += u64::from(outcome.slow);
                drop(b);
                self.tally(window, now)
            }
        }
    }

    /// What the window holds at `now`.
    pub(crate) fn tally(&self, window: Window, now: u64) -> Tally {
        match window {
            Window::Calls(n) => Tally {
                calls: self.head.load(Relaxed).min(u64::from(n)),
                failures: self.failures.load(Relaxed).max(0) as u64,
                slow: self.slow.load(Relaxed).max(0) as u64,
            },
            Window::Time(span) => {
                let slice = now / bucket_nanos(span);
                let mut t = Tally::default();
                let buckets = self.buckets.get().map_or(&[][..], |b| &b[..]);
                for bucket in buckets {
                    let b = *lock(bucket);
                    // Buckets of the last ten slices, this one included.
                    if b.slice <= slice && slice - b.slice < BUCKETS as u64 {
                        t.calls += b.tally.calls;
                        t.failures += b.tally.failures;
                        t.slow += b.tally.slow;
                    }
                }
                t
            }
        }
    }

    /// Forgets every call: the breaker closed, and measures afresh.
    pub(crate) fn clear(&self) {
        self.head.store(0, Relaxed);
        if let Some(ring) = self.ring.get() {
            ring.iter().for_each(|slot| slot.store(0, Relaxed));
        }
        self.failures.store(0, Relaxed);
        self.slow.store(0, Relaxed);
        for b in self.buckets.get().into_iter().flat_map(|b| b.iter()) {
            *lock(b) = Bucket::default();
        }
    }
}

fn lock(b: &Mutex<Bucket>) -> std::sync::MutexGuard<'_, Bucket> {
    // Nothing user-supplied runs under these locks; a poisoned one still
    // holds consistent counts.
    b.lock().unwrap_or_else(|p| p.into_inner())
}

fn bucket_nanos(span: std::time::Duration) -> u64 {
    let per_bucket = span.as_nanos() / BUCKETS as u128;
    u64::try_from(per_bucket).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const FAIL: Outcome = Outcome {
        failed: true,
        slow: false,
    };
    const OK: Outcome = Outcome {
        failed: false,
        slow: false,
    };
    const SLOW: Outcome = Outcome {
        failed: false,
        slow: true,
    };

    fn tally(calls: u64, failures: u64, slow: u64) -> Tally {
        Tally {
            calls,
            failures,
            slow,
        }
    }

    #[test]
    fn a_count_window_keeps_the_last_n_outcomes() {
        let calls = Calls::new();
        let w = Window::Calls(4);
        for o in [FAIL, FAIL, OK, SLOW] {
            calls.record(w, 0, o);
        }
        assert_eq!(calls.tally(w, 0), tally(4, 2, 1));
        calls.record(w, 0, OK);
        assert_eq!(calls.record(w, 0, OK), tally(4, 0, 1));
        calls.clear();
        assert_eq!(calls.tally(w, 0), Tally::default());
    }

    #[test]
    fn a_time_window_drops_buckets_older_than_the_span() {
        let calls = Calls::new();
        let w = Window::Time(Duration::from_nanos(1_000));
        calls.record(w, 50, FAIL);
        calls.record(w, 950, OK);
        assert_eq!(calls.tally(w, 999), tally(2, 1, 0));
        // At 1000 the bucket of 0..100 is ten buckets old.
        assert_eq!(calls.tally(w, 1_000), tally(1, 0, 0));
        // A call in a reused bucket replaces the stale one.
        assert_eq!(calls.record(w, 1_010, SLOW), tally(2, 0, 1));
    }

    #[test]
    fn time_buckets_count_past_sixteen_bits_and_never_alias() {
        let calls = Calls::new();
        let w = Window::Time(Duration::from_secs(600));
        let bucket = 60_000_000_000;
        for i in 0..200_000u64 {
            calls.record(w, 1 + i, if i % 5 < 2 { FAIL } else { OK });
        }
        assert_eq!(calls.tally(w, 200_000), tally(200_000, 80_000, 0));
        // 65,536 buckets later (and any multiple), the old counts are gone.
        let later = 65_536 * bucket + 1;
        assert_eq!(calls.tally(w, later), Tally::default());
        assert_eq!(calls.record(w, later, OK), tally(1, 0, 0));
    }
}
