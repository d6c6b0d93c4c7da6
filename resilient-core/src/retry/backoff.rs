use std::time::Duration;

use rand::Rng;

use super::{Jitter, RetryPolicy, Schedule};

/// `d × f^n`, exact for the usual whole factors, saturating at `Duration::MAX`.
fn grow(d: Duration, f: f64, n: u32) -> Duration {
    let nanos = d.as_nanos() as f64 * f.powi(n.min(i32::MAX as u32) as i32);
    nanos_to_duration(nanos)
}

fn nanos_to_duration(nanos: f64) -> Duration {
    const MAX_NANOS: f64 = u64::MAX as f64;
    if nanos.is_nan() || nanos >= MAX_NANOS {
        Duration::from_nanos(u64::MAX)
    } else {
        Duration::from_nanos(nanos.round() as u64)
    }
}

fn uniform(rng: &mut impl Rng, lo: Duration, hi: Duration) -> Duration {
    let (lo, hi) = (saturating_nanos(lo), saturating_nanos(hi));
    if hi <= lo {
        Duration::from_nanos(lo)
    } else {
        Duration::from_nanos(rng.random_range(lo..=hi))
    }
}

fn saturating_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl RetryPolicy {
    /// The delay before retry `n` (0 for the first retry) as scheduled,
    /// before jitter, capped at `max_delay`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilient_core::RetryConfig;
    ///
    /// let p = RetryConfig::new().backoff(Duration::from_secs(2)).build().unwrap();
    /// let secs: Vec<u64> = (0..3).map(|n| p.scheduled_delay(n).as_secs()).collect();
    /// assert_eq!(secs, [2, 4, 8]);
    /// ```
    pub fn scheduled_delay(&self, n: u32) -> Duration {
        let c = &self.resolved;
        let d = match c.schedule {
            Schedule::Exponential => grow(c.backoff, c.factor, n),
            Schedule::Linear => c.backoff.saturating_mul(n.saturating_add(1)),
            Schedule::Constant => c.backoff,
        };
        d.min(c.max_delay)
    }

    /// The time limit of attempt `n` (0 for the first): `timeout ×
    /// timeout_factor^n`, or `None` without a `timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilient_core::RetryConfig;
    ///
    /// let p = RetryConfig::new()
    ///     .timeout(Duration::from_secs(30))
    ///     .timeout_factor(2.0)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(p.attempt_timeout(2), Some(Duration::from_secs(120)));
    /// ```
    pub fn attempt_timeout(&self, n: u32) -> Option<Duration> {
        let c = &self.resolved;
        c.timeout.map(|t| grow(t, c.timeout_factor, n))
    }

    /// The delay before retry `n` (0 for the first), with jitter drawn from
    /// `rng`, after a previous delay of `previous` (used by decorrelated
    /// jitter; pass `backoff` before the first retry) and an error that asked
    /// for at least `retry_after`.
    ///
    /// Always within `[retry_after, max_delay]`; `None` when `retry_after`
    /// itself exceeds `max_delay`, which ends the retries.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rand::{rngs::SmallRng, SeedableRng};
    /// use resilient_core::{Jitter, RetryConfig};
    ///
    /// let p = RetryConfig::new().jitter(Jitter::Full).build().unwrap();
    /// let mut rng = SmallRng::seed_from_u64(7);
    /// let hint = Some(Duration::from_secs(5));
    /// let d = p.delay(0, Duration::from_millis(100), hint, &mut rng).unwrap();
    /// assert!(d >= Duration::from_secs(5) && d <= Duration::from_secs(30));
    /// assert_eq!(p.delay(0, Duration::ZERO, Some(Duration::from_secs(60)), &mut rng), None);
    /// ```
    pub fn delay(
        &self,
        n: u32,
        previous: Duration,
        retry_after: Option<Duration>,
        rng: &mut impl Rng,
    ) -> Option<Duration> {
        let c = &self.resolved;
        let cap = c.max_delay;
        // `top` is the longest delay this jitter may give, `spread` how far
        // below it the draw may land.
        let (top, spread) = match c.jitter {
            Jitter::None => (self.scheduled_delay(n), Duration::ZERO),
            Jitter::Full => {
                let d = self.scheduled_delay(n);
                (d, d)
            }
            Jitter::Equal => {
                let d = self.scheduled_delay(n);
                (d, d / 2)
            }
            Jitter::Additive => {
                // `d + uniform(0, d/2)`, never sooner than scheduled; at the
                // cap, the same spread below it.
                let d = self.scheduled_delay(n);
                (d.saturating_add(d / 2).min(cap), d / 2)
            }
            Jitter::Decorrelated => {
                let top = previous.saturating_mul(3).max(c.backoff).min(cap);
                (top, top.saturating_sub(c.backoff))
            }
        };
        match retry_after {
            None => Some(uniform(rng, top - spread, top)),
            Some(hint) if hint > cap => None,
            // The service's wait is a floor: the jitter goes above it.
            Some(hint) if hint >= top => {
                Some(uniform(rng, hint, hint.saturating_add(spread).min(cap)))
            }
            Some(hint) => Some(uniform(rng, top - spread, top).max(hint)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RetryConfig;
    use proptest::prelude::*;
    use rand::{rngs::SmallRng, SeedableRng};

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn schedules() {
        let p = |s| {
            RetryConfig::new()
                .backoff(100 * MS)
                .schedule(s)
                .max_delay(500 * MS)
                .build()
                .unwrap()
        };
        let run = |p: RetryPolicy| (0..6).map(|n| p.scheduled_delay(n)).collect::<Vec<_>>();
        assert_eq!(
            run(p(Schedule::Exponential)),
            [100, 200, 400, 500, 500, 500].map(|m| m * MS)
        );
        assert_eq!(
            run(p(Schedule::Linear)),
            [100, 200, 300, 400, 500, 500].map(|m| m * MS)
        );
        assert_eq!(run(p(Schedule::Constant)), [100 * MS; 6]);
    }

    #[test]
    fn huge_exponents_saturate_at_the_cap() {
        let p = RetryConfig::new().factor(10.0).build().unwrap();
        assert_eq!(p.scheduled_delay(u32::MAX), Duration::from_secs(30));
        let p = RetryConfig::new()
            .timeout(Duration::from_secs(1))
            .timeout_factor(10.0)
            .build()
            .unwrap();
        assert_eq!(
            p.attempt_timeout(1000),
            Some(Duration::from_nanos(u64::MAX))
        );
    }

    #[test]
    fn jitter_stays_random_at_the_cap() {
        for jitter in [
            Jitter::Full,
            Jitter::Equal,
            Jitter::Decorrelated,
            Jitter::Additive,
        ] {
            let p = RetryConfig::new()
                .max_delay(Duration::from_secs(1))
                .jitter(jitter)
                .build()
                .unwrap();
            let mut rng = SmallRng::seed_from_u64(1);
            let prev = Duration::from_secs(1);
            let draws: std::collections::BTreeSet<_> = (0..50)
                .map(|_| p.delay(40, prev, None, &mut rng).unwrap())
                .collect();
            assert!(
                draws.len() > 40,
                "{jitter:?} collapsed at the cap: {draws:?}"
            );
            assert!(draws.iter().all(|d| *d <= Duration::from_secs(1)));
        }
    }

    #[test]
    fn same_seed_same_delays() {
        let p = RetryConfig::new().jitter(Jitter::Full).build().unwrap();
        let draw = |seed| {
            let mut rng = SmallRng::seed_from_u64(seed);
            (0..5)
                .map(|n| p.delay(n, MS, None, &mut rng).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(9), draw(9));
        assert_ne!(draw(9), draw(10));
    }

    fn any_policy() -> impl Strategy<Value = RetryPolicy> {
        (
            1u64..=10_000_000_000,
            0usize..3,
            1.0f64..16.0,
            1u64..=100_000_000_000,
            0usize..5,
        )
            .prop_filter_map("max_delay < backoff", |(b, s, f, cap, j)| {
                RetryConfig::new()
                    .backoff(Duration::from_nanos(b))
                    .schedule([Schedule::Exponential, Schedule::Linear, Schedule::Constant][s])
                    .factor(f)
                    .max_delay(Duration::from_nanos(cap))
                    .jitter(
                        [
                            Jitter::None,
                            Jitter::Full,
                            Jitter::Equal,
                            Jitter::Decorrelated,
                            Jitter::Additive,
                        ][j],
                    )
                    .build()
                    .ok()
            })
    }

    proptest! {
        #[test]
        fn every_delay_is_within_zero_and_the_cap(
            p in any_policy(),
            n in any::<u32>(),
            prev in any::<u64>(),
            seed in any::<u64>(),
        ) {
            let mut rng = SmallRng::seed_from_u64(seed);
            let d = p.delay(n, Duration::from_nanos(prev), None, &mut rng).unwrap();
            prop_assert!(d <= p.max_delay());
            prop_assert!(p.scheduled_delay(n) <= p.max_delay());
        }

        #[test]
        fn retry_after_is_a_floor(
            p in any_policy(),
            n in 0u32..64,
            hint in any::<u64>(),
            seed in any::<u64>(),
        ) {
            let mut rng = SmallRng::seed_from_u64(seed);
            let hint = Duration::from_nanos(hint);
            match p.delay(n, p.backoff(), Some(hint), &mut rng) {
                Some(d) => {
                    prop_assert!(d >= hint);
                    prop_assert!(d <= p.max_delay());
                }
                None => prop_assert!(hint > p.max_delay()),
            }
        }
    }
}
