//! The breaker's clock: `tokio::time::Instant` (exact under a paused clock)
//! as nanoseconds in a `u64`, which an atomic can hold.

use std::sync::OnceLock;
use std::time::Duration;

use tokio::time::Instant;

static BASE: OnceLock<Instant> = OnceLock::new();

/// Times before the base (another runtime's paused clock may be behind it)
/// stay representable.
const OFFSET: u64 = 1 << 62;

#[inline]
pub(crate) fn now() -> u64 {
    let now = Instant::now();
    let base = *BASE.get_or_init(|| now);
    // One subtraction in the usual case, where time has not gone back.
    match now.checked_duration_since(base) {
        Some(since) => OFFSET.saturating_add(nanos(since)),
        None => OFFSET.saturating_sub(nanos(base.saturating_duration_since(now))),
    }
}

/// `d` in nanoseconds, saturating; without the `u128` of `as_nanos`.
#[inline]
pub(crate) fn nanos(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(d.subsec_nanos()))
}
