//! Call durations: a log-linear histogram (four buckets per power of two
//! of nanoseconds, so any quantile is within 12.5 %), allocated on the
//! first duration recorded, and the summary read from it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::Duration;

/// Buckets per power of two.
const SUB: u32 = 4;
const BUCKETS: usize = (64 * SUB) as usize;

static TIMING: AtomicBool = AtomicBool::new(cfg!(feature = "metrics"));

/// Turns the timing of every call on or off: the
/// [`latency`](crate::metrics::MetricsSnapshot::latency) of each
/// function's figures. It costs two clock reads per call, so it is off by
/// default, and always on with the `metrics` feature (which exports the
/// durations as histograms).
///
/// ```
/// resilient_core::metrics::time_calls(true);
/// ```
pub fn time_calls(on: bool) {
    if !cfg!(feature = "metrics") {
        TIMING.store(on, Relaxed);
    }
}

/// Whether calls are timed.
#[inline(always)]
pub(crate) fn timing() -> bool {
    cfg!(feature = "metrics") || TIMING.load(Relaxed)
}

fn bucket(nanos: u64) -> usize {
    if nanos < u64::from(SUB) {
        return nanos as usize;
    }
    let exp = 63 - nanos.leading_zeros(); // >= 2
    let sub = (nanos >> (exp - 2)) & u64::from(SUB - 1);
    (exp * SUB) as usize + sub as usize - 4
}

/// The middle of a bucket's range.
fn middle(bucket: usize) -> u64 {
    if bucket < SUB as usize {
        return bucket as u64;
    }
    let b = bucket as u64 + 4;
    let (exp, sub) = (b / u64::from(SUB), b % u64::from(SUB));
    let low = (SUB as u64 + sub) << (exp - 2);
    let width = 1u64 << (exp - 2);
    low.saturating_add(width / 2)
}

struct Buckets {
    counts: [AtomicU64; BUCKETS],
    sum: AtomicU64,
    min: AtomicU64,
    max: AtomicU64,
}

/// One function's durations.
#[derive(Default)]
pub(crate) struct Latency {
    buckets: OnceLock<Box<Buckets>>,
}

impl std::fmt::Debug for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Latency")
    }
}

impl Latency {
    pub(crate) const fn new() -> Self {
        Latency {
            buckets: OnceLock::new(),
        }
    }

    pub(crate) fn record(&self, nanos: u64) {
        let b = self.buckets.get_or_init(|| {
            Box::new(Buckets {
                counts: [const { AtomicU64::new(0) }; BUCKETS],
                sum: AtomicU64::new(0),
                min: AtomicU64::new(u64::MAX),
                max: AtomicU64::new(0),
            })
        });
        b.counts[bucket(nanos).min(BUCKETS - 1)].fetch_add(1, Relaxed);
        // Saturates rather than wraps: a sum past 584 years is no mean.
        let _ = b
            .sum
            .fetch_update(Relaxed, Relaxed, |s| Some(s.saturating_add(nanos)));
        b.min.fetch_min(nanos, Relaxed);
        b.max.fetch_max(nanos, Relaxed);
    }

    pub(crate) fn clear(&self) {
        if let Some(b) = self.buckets.get() {
            for c in &b.counts {
                c.store(0, Relaxed);
            }
            b.sum.store(0, Relaxed);
            b.min.store(u64::MAX, Relaxed);
            b.max.store(0, Relaxed);
        }
    }

    pub(crate) fn summary(&self) -> Option<LatencySummary> {
        let b = self.buckets.get()?;
        let counts: Vec<u64> = b.counts.iter().map(|c| c.load(Relaxed)).collect();
        let count: u64 = counts.iter().sum();
        if count == 0 {
            return None;
        }
        let quantile = |q: f64| {
            // The rank of the quantile, from 1.
            let rank = ((count as f64 * q).ceil() as u64).clamp(1, count);
            let mut seen = 0;
            for (i, c) in counts.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    return Duration::from_nanos(middle(i));
                }
            }
            Duration::from_nanos(b.max.load(Relaxed))
        };
        let max = Duration::from_nanos(b.max.load(Relaxed));
        // A bucket's middle, kept within what was seen (exact when every
        // call took as long).
        let min = Duration::from_nanos(b.min.load(Relaxed)).min(max);
        Some(LatencySummary {
            count,
            mean: Duration::from_nanos(b.sum.load(Relaxed) / count),
            p50: quantile(0.50).clamp(min, max),
            p90: quantile(0.90).clamp(min, max),
            p99: quantile(0.99).clamp(min, max),
            max,
        })
    }
}

/// How long one function's calls took, from the call's start to its
/// result (retries, waits and fallback tiers included): the tutorial's
/// per-call duration. Quantiles are within 12.5 % (the histogram keeps
/// four buckets per power of two).
///
/// ```
/// use std::io;
/// use std::time::Duration;
/// use resilient_core::metrics::{self, Metrics};
/// use resilient_core::{ByTransient, RetryConfig};
///
/// static OCR: Metrics = Metrics::new("timed_ocr", "docs");
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// metrics::time_calls(true);
/// let policy = RetryConfig::new().build().unwrap();
/// let _: io::Result<()> = policy
///     .run_with(&ByTransient, &OCR, || async {
///         tokio::time::sleep(Duration::from_millis(40)).await;
///         Ok(())
///     })
///     .await;
/// let latency = OCR.snapshot().latency.unwrap();
/// assert_eq!((latency.count, latency.max), (1, Duration::from_millis(40)));
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencySummary {
    /// Calls timed.
    pub count: u64,
    /// The mean duration.
    pub mean: Duration,
    /// The median.
    pub p50: Duration,
    /// 90 % of calls took at most this long.
    pub p90: Duration,
    /// 99 % of calls took at most this long.
    pub p99: Duration,
    /// The longest call.
    pub max: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_and_stay_within_an_eighth() {
        let mut last = 0;
        for nanos in (0..10_000u64).chain([u64::MAX / 3, u64::MAX - 1, u64::MAX]) {
            let b = bucket(nanos);
            assert!(b < BUCKETS, "{nanos}");
            assert!(b >= last || nanos > 10_000, "monotonic at {nanos}");
            last = b;
            let m = middle(b) as f64;
            assert!(
                (m - nanos as f64).abs() <= nanos as f64 / 8.0 + 1.0,
                "{nanos} -> {m}"
            );
        }
    }

    #[test]
    fn the_summary_reads_the_quantiles() {
        let l = Latency::new();
        assert_eq!(l.summary(), None);
        for ms in 1..=100u64 {
            l.record(ms * 1_000_000);
        }
        let s = l.summary().unwrap();
        assert_eq!(s.count, 100);
        assert_eq!(s.max, Duration::from_millis(100));
        assert_eq!(s.mean, Duration::from_micros(50_500));
        let near = |d: Duration, ms: f64| (d.as_secs_f64() * 1000.0 - ms).abs() <= ms / 8.0;
        assert!(near(s.p50, 50.0), "{:?}", s.p50);
        assert!(near(s.p90, 90.0), "{:?}", s.p90);
        assert!(near(s.p99, 99.0), "{:?}", s.p99);
        l.clear();
        assert_eq!(l.summary(), None);
    }
}
