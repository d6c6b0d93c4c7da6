//! The random source behind jitter: one small generator per thread, seedable
//! so that tests can replay the exact delays.

use std::cell::RefCell;

use rand::rngs::SmallRng;
use rand::SeedableRng;

thread_local! {
    static RNG: RefCell<SmallRng> = RefCell::new(SmallRng::from_os_rng());
    /// The idempotency keys' own generator: seeding the jitter must never
    /// make two processes draw the same keys.
    static KEYS: RefCell<SmallRng> = RefCell::new(SmallRng::from_os_rng());
}

/// 128 bits for an idempotency key, from the OS-seeded key generator.
pub(crate) fn key_bits() -> [u64; 2] {
    use rand::Rng;
    KEYS.with(|r| {
        let mut r = r.borrow_mut();
        [r.random(), r.random()]
    })
}

/// Seeds the jitter of every retry that runs on this thread from now on.
///
/// Under a current-thread runtime (as in `#[tokio::test]`) that makes every
/// jittered delay repeat exactly from run to run.
///
/// ```
/// resilient_core::seed_jitter(42);
/// ```
pub fn seed_jitter(seed: u64) {
    RNG.with(|r| *r.borrow_mut() = SmallRng::seed_from_u64(seed));
}

pub(crate) fn with<R>(f: impl FnOnce(&mut SmallRng) -> R) -> R {
    RNG.with(|r| f(&mut r.borrow_mut()))
}
