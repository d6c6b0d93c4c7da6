//! The breaker's clock: `tokio::time::Instant` (exact under a paused clock)
//! as nanoseconds in a `u64`, which an atomic can hold.

use std::sync::OnceLock;
use std::time::Duration;

use tokio::time::Instant;

static BASE: OnceLock<Instant> = OnceLock::new();

/// Times before the base (another runtime's paused clock may be behind it)
/// stay representable.
const OFFSET: u64 = 1 << 62;

pub(crate) fn now() -> u64 {
    let now = Instant::now();
    let base = *BASE.get_or_init(|| now);
    if now >= base {
        OFFSET.saturating_add(nanos(now - base))
    } else {
        OFFSET.saturating_sub(nanos(base - now))
    }
}

pub(crate) fn nanos(d: Duration) -> u64 {
    d.as_nanos().try_into().unwrap_or(u64::MAX)
}
