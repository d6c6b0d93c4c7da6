//! Counters that threads bump without contending: each thread that counts
//! owns one of `SLOTS` cache-line slots while it lives, and bumps its own
//! with a plain load and store (one writer, so nothing is lost), not a
//! locked read-modify-write. Threads beyond `SLOTS` alive at once share an
//! overflow slot with atomic adds. Reading sums the slots.

use std::cell::Cell;
use std::sync::atomic::{
    AtomicU32, AtomicU64,
    Ordering::{AcqRel, Acquire, Relaxed, Release},
};
use std::sync::OnceLock;

/// Slots per counter set, and one shared overflow: 33 × 128 bytes.
const SLOTS: usize = 32;
const UNCLAIMED: u8 = u8::MAX;
const OVERFLOW: u8 = u8::MAX - 1;

/// Which slots are owned, one bit each.
static OWNED: AtomicU32 = AtomicU32::new(0);

/// `K` counters, at most 16.
///
/// Striped, the slots (4 KiB) are allocated on the first count, so that the
/// `static` of every annotated function stays a few words in the binary.
/// Shared, they are `K` atomics inline: for the thousands of per-key
/// breakers a function may hold, where 4 KiB each would add up to
/// hundreds of megabytes and one key's calls rarely race.
#[derive(Debug)]
pub(crate) enum Counters<const K: usize> {
    Striped(OnceLock<Box<[Slot<K>; SLOTS + 1]>>),
    Shared([AtomicU64; K]),
}

// 128 bytes: x86 prefetches cache lines in pairs, so slots sharing a pair
// would still contend.
#[derive(Debug)]
#[repr(align(128))]
pub(crate) struct Slot<const K: usize>([AtomicU64; K]);

impl<const K: usize> Slot<K> {
    const fn new() -> Self {
        Slot([const { AtomicU64::new(0) }; K])
    }
}

impl<const K: usize> Counters<K> {
    /// Striped counters.
    pub(crate) const fn new() -> Self {
        Counters::Striped(OnceLock::new())
    }

    /// Shared counters.
    pub(crate) const fn shared() -> Self {
        Counters::Shared([const { AtomicU64::new(0) }; K])
    }

    /// Adds one to `counter`.
    #[inline]
    pub(crate) fn bump(&self, counter: usize) {
        let slots = match self {
            Counters::Striped(slots) => slots,
            Counters::Shared(counts) => {
                counts[counter].fetch_add(1, Relaxed);
                return;
            }
        };
        let slots = slots.get_or_init(|| Box::new([const { Slot::new() }; SLOTS + 1]));
        match this_thread() {
            // The last slot is the overflow, shared.
            OVERFLOW => {
                slots[SLOTS].0[counter].fetch_add(1, Relaxed);
            }
            slot => {
                // This thread alone writes this slot.
                let c = &slots[slot as usize].0[counter];
                c.store(c.load(Relaxed).wrapping_add(1), Relaxed);
            }
        }
    }

    /// Every counter, each slot in turn.
    fn each(&self) -> impl Iterator<Item = &[AtomicU64; K]> {
        let (striped, shared) = match self {
            Counters::Striped(slots) => (slots.get().map(|s| s.iter().map(|s| &s.0)), None),
            Counters::Shared(counts) => (None, Some(counts)),
        };
        striped.into_iter().flatten().chain(shared)
    }

    /// Every counter back to zero. Counts made meanwhile on other threads
    /// may survive it.
    pub(crate) fn clear(&self) {
        self.each().flatten().for_each(|c| c.store(0, Relaxed));
    }

    /// The sum over every thread.
    pub(crate) fn sum(&self, counter: usize) -> u64 {
        self.each().map(|s| s[counter].load(Relaxed)).sum()
    }
}

/// A thread's claim on a slot, given back when the thread ends.
struct Claim(Cell<u8>);

impl Drop for Claim {
    fn drop(&mut self) {
        let slot = self.0.get();
        if (slot as usize) < SLOTS {
            // Release: the next owner sees every count this thread wrote.
            OWNED.fetch_and(!(1 << slot), Release);
        }
    }
}

thread_local! {
    static CLAIM: Claim = const { Claim(Cell::new(UNCLAIMED)) };
}

#[inline]
fn this_thread() -> u8 {
    CLAIM
        .try_with(|c| match c.0.get() {
            UNCLAIMED => claim(&c.0),
            slot => slot,
        })
        // Counting from another thread-local's destructor at thread exit.
        .unwrap_or(OVERFLOW)
}

#[cold]
fn claim(cell: &Cell<u8>) -> u8 {
    let mut owned = OWNED.load(Relaxed);
    let slot = loop {
        let free = (!owned).trailing_zeros() as usize;
        if free >= SLOTS {
            break OVERFLOW;
        }
        // Acquire: this thread sees every count the previous owner wrote.
        match OWNED.compare_exchange_weak(owned, owned | 1 << free, AcqRel, Acquire) {
            Ok(_) => break free as u8,
            Err(actual) => owned = actual,
        }
    };
    cell.set(slot);
    slot
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_many_threads_add_up_and_slots_are_reused() {
        static C: Counters<2> = Counters::new();
        // More threads than slots over time, a few at once.
        for _ in 0..10 {
            std::thread::scope(|s| {
                for _ in 0..8 {
                    s.spawn(|| {
                        for _ in 0..1000 {
                            C.bump(0);
                        }
                        C.bump(1);
                    });
                }
            });
        }
        assert_eq!(C.sum(0), 80_000);
        assert_eq!(C.sum(1), 80);
    }

    #[test]
    fn threads_beyond_the_slots_share_the_overflow() {
        static C: Counters<1> = Counters::new();
        let start = std::sync::Barrier::new(SLOTS + 8);
        std::thread::scope(|s| {
            for _ in 0..SLOTS + 8 {
                s.spawn(|| {
                    start.wait();
                    for _ in 0..100 {
                        C.bump(0);
                    }
                    start.wait();
                });
            }
        });
        assert_eq!(C.sum(0), 100 * (SLOTS as u64 + 8));
    }

    #[test]
    fn shared_counters_count_from_many_threads_and_allocate_nothing() {
        static C: Counters<2> = Counters::shared();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..1000).for_each(|_| C.bump(1)));
            }
        });
        assert_eq!((C.sum(0), C.sum(1)), (0, 4000));
        C.clear();
        assert_eq!(C.sum(1), 0);
        assert!(std::mem::size_of::<Counters<2>>() <= 24);
    }
}
