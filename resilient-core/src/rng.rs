//! The random source behind jitter: one small generator per thread, seedable
//! so that tests can replay the exact delays.

use std::cell::RefCell;

use rand::rngs::SmallRng;
use rand::SeedableRng;

thread_local! {
    static RNG: RefCell<SmallRng> = RefCell::new(SmallRng::from_os_rng());
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
