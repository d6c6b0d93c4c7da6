use std::time::Duration;

use crate::ConfigError;

/// What the failure rate of a rate-based breaker is measured over.
///
/// # Default
/// `Window::Calls(100)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The last `n` calls.
    Calls(u32),
    /// The calls of the last stretch of time, counted in ten buckets, so the
    /// oldest tenth drops out at once.
    Time(Duration),
}

/// The settings of a circuit breaker, checked by
/// [`build`](BreakerConfig::build).
///
/// Every setter is a `const fn`, so a breaker can live in a `static`;
/// `#[circuit_breaker(...)]` builds its policy this way.
///
/// Two ways to trip: `threshold` consecutive failures (the default), or a
/// `failure_rate` over a `window` of calls once `min_calls` have been seen.
///
/// # Default
/// | setting | default |
/// |---|---|
/// | `threshold` | 5 consecutive failures (when no `failure_rate`) |
/// | `cooldown` | 60 s open before the first probe |
/// | `half_open` | 1 probe admitted after the cooldown |
/// | `close_after` | 1 probe success closes the breaker |
/// | `failure_rate` | none |
/// | `window` | the last 100 calls |
/// | `min_calls` | 10 (at most the window's size) |
/// | `slow_call` | none: no call is slow |
/// | `slow_rate` | none: slow calls count as failures |
/// | `max_cooldown` | none: the cooldown does not grow |
/// | `cooldown_jitter` | 0.0 |
///
/// ```
/// use std::time::Duration;
/// use resilient_core::circuit_breaker::BreakerConfig;
///
/// let policy = BreakerConfig::new()
///     .threshold(3)
///     .cooldown(Duration::from_secs(30))
///     .build()
///     .unwrap();
/// assert_eq!(policy.config().cooldown_base(), Duration::from_secs(30));
///
/// // A bad value is an error naming the field, never a panic.
/// let err = BreakerConfig::new().failure_rate(1.5).build().unwrap_err();
/// assert_eq!(err.field(), "failure_rate");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerConfig {
    pub(crate) threshold: Option<u32>,
    pub(crate) failure_rate: Option<f64>,
    pub(crate) window: Window,
    pub(crate) min_calls: Option<u32>,
    pub(crate) cooldown: Duration,
    pub(crate) max_cooldown: Option<Duration>,
    pub(crate) cooldown_jitter: f64,
    pub(crate) half_open: u32,
    pub(crate) close_after: u32,
    pub(crate) slow_call: Option<Duration>,
    pub(crate) slow_rate: Option<f64>,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// The most probes one half-open spell may admit; the state word has 16 bits
/// for them.
pub(crate) const MAX_PROBES: u32 = 10_000;
/// The longest count window: each call in it takes a byte, and a failure
/// scans them.
pub(crate) const MAX_WINDOW_CALLS: u32 = 10_000;
const DEFAULT_THRESHOLD: u32 = 5;
const DEFAULT_MIN_CALLS: u32 = 10;

impl BreakerConfig {
    /// The defaults listed above.
    pub const fn new() -> Self {
        BreakerConfig {
            threshold: None,
            failure_rate: None,
            window: Window::Calls(100),
            min_calls: None,
            cooldown: Duration::from_secs(60),
            max_cooldown: None,
            cooldown_jitter: 0.0,
            half_open: 1,
            close_after: 1,
            slow_call: None,
            slow_rate: None,
        }
    }

    /// Opens after `n` consecutive failures. Not with
    /// [`failure_rate`](Self::failure_rate).
    pub const fn threshold(mut self, n: u32) -> Self {
        self.threshold = Some(n);
        self
    }

    /// Opens when at least this share of the calls in the
    /// [`window`](Self::window) failed, in (0, 1]. Not with
    /// [`threshold`](Self::threshold).
    pub const fn failure_rate(mut self, rate: f64) -> Self {
        self.failure_rate = Some(rate);
        self
    }

    /// The calls the failure rate is measured over.
    pub const fn window(mut self, window: Window) -> Self {
        self.window = window;
        self
    }

    /// Calls the window must hold before the rate may open the breaker, so
    /// that one failure in the first call is not a 100% failure rate.
    pub const fn min_calls(mut self, n: u32) -> Self {
        self.min_calls = Some(n);
        self
    }

    /// How long the breaker stays open before it lets a probe through.
    pub const fn cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// Lets the cooldown double each time a probe fails and the breaker opens
    /// again, up to this; a close resets it.
    pub const fn max_cooldown(mut self, cap: Duration) -> Self {
        self.max_cooldown = Some(cap);
        self
    }

    /// Spreads each cooldown uniformly over `cooldown × (1 ± jitter)`, in
    /// [0, 1), so that a fleet of clients does not probe in lockstep.
    pub const fn cooldown_jitter(mut self, jitter: f64) -> Self {
        self.cooldown_jitter = jitter;
        self
    }

    /// Probes admitted after the cooldown; other calls are rejected until
    /// they finish.
    pub const fn half_open(mut self, probes: u32) -> Self {
        self.half_open = probes;
        self
    }

    /// Probe successes that close the breaker; at most
    /// [`half_open`](Self::half_open). Any probe failure opens it again.
    pub const fn close_after(mut self, successes: u32) -> Self {
        self.close_after = successes;
        self
    }

    /// A call that takes longer than this is slow, even if it succeeds.
    /// Slow calls count as failures, unless [`slow_rate`](Self::slow_rate)
    /// gives them a threshold of their own.
    pub const fn slow_call(mut self, limit: Duration) -> Self {
        self.slow_call = Some(limit);
        self
    }

    /// With a `failure_rate`: opens when at least this share of the window's
    /// calls were slow, in (0, 1].
    pub const fn slow_rate(mut self, rate: f64) -> Self {
        self.slow_rate = Some(rate);
        self
    }

    /// The consecutive failures that open the breaker, or `None` in rate
    /// mode.
    pub const fn consecutive_threshold(&self) -> Option<u32> {
        match (self.threshold, self.failure_rate) {
            (Some(n), _) => Some(n),
            (None, None) => Some(DEFAULT_THRESHOLD),
            (None, Some(_)) => None,
        }
    }

    /// The cooldown before the first probe.
    pub const fn cooldown_base(&self) -> Duration {
        self.cooldown
    }

    /// The calls the window must hold before the rate counts.
    pub const fn min_calls_or_default(&self) -> u32 {
        match (self.min_calls, self.window) {
            (Some(n), _) => n,
            (None, Window::Calls(n)) if n < DEFAULT_MIN_CALLS => n,
            (None, _) => DEFAULT_MIN_CALLS,
        }
    }

    /// Checks the settings and makes the policy.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first field whose value makes no sense:
    /// a zero `threshold`, `cooldown`, `half_open`, `close_after`, window or
    /// `slow_call`; a rate outside (0, 1]; both `threshold` and
    /// `failure_rate`; `min_calls` above a count window; `close_after` above
    /// `half_open`; `max_cooldown` below `cooldown`; a `cooldown_jitter`
    /// outside [0, 1); `slow_rate` without `failure_rate` or `slow_call`.
    pub const fn build(self) -> Result<BreakerPolicy, ConfigError> {
        if let Some(n) = self.threshold {
            if n == 0 {
                return Err(ConfigError::new("threshold", "must be at least 1"));
            }
            if self.failure_rate.is_some() {
                return Err(ConfigError::new(
                    "failure_rate",
                    "cannot be combined with `threshold`: choose consecutive failures or a rate",
                ));
            }
        }
        if let Some(rate) = self.failure_rate {
            if !(rate > 0.0 && rate <= 1.0) {
                return Err(ConfigError::new("failure_rate", "must be in (0, 1]"));
            }
        }
        match self.window {
            Window::Calls(0) => return Err(ConfigError::new("window", "must be at least 1 call")),
            Window::Calls(n) if n > MAX_WINDOW_CALLS => {
                return Err(ConfigError::new("window", "must be at most 10000 calls"))
            }
            Window::Time(d) if d.as_millis() < 10 => {
                return Err(ConfigError::new("window", "must be at least 10ms"))
            }
            _ => {}
        }
        if let Some(n) = self.min_calls {
            if n == 0 {
                return Err(ConfigError::new("min_calls", "must be at least 1"));
            }
            if let Window::Calls(w) = self.window {
                if n > w {
                    return Err(ConfigError::new(
                        "min_calls",
                        "must not exceed the number of calls in `window`",
                    ));
                }
            }
        }
        if self.cooldown.is_zero() {
            return Err(ConfigError::new("cooldown", "must be greater than zero"));
        }
        if let Some(cap) = self.max_cooldown {
            if cap.as_nanos() < self.cooldown.as_nanos() {
                return Err(ConfigError::new(
                    "max_cooldown",
                    "must not be less than `cooldown`",
                ));
            }
        }
        if !(self.cooldown_jitter >= 0.0 && self.cooldown_jitter < 1.0) {
            return Err(ConfigError::new("cooldown_jitter", "must be in [0, 1)"));
        }
        if self.half_open == 0 || self.half_open > MAX_PROBES {
            return Err(ConfigError::new("half_open", "must be from 1 to 10000"));
        }
        if self.close_after == 0 {
            return Err(ConfigError::new("close_after", "must be at least 1"));
        }
        if self.close_after > self.half_open {
            return Err(ConfigError::new(
                "close_after",
                "must not exceed `half_open`: only that many probes run",
            ));
        }
        if let Some(d) = self.slow_call {
            if d.is_zero() {
                return Err(ConfigError::new("slow_call", "must be greater than zero"));
            }
        }
        if let Some(rate) = self.slow_rate {
            if !(rate > 0.0 && rate <= 1.0) {
                return Err(ConfigError::new("slow_rate", "must be in (0, 1]"));
            }
            if self.failure_rate.is_none() {
                return Err(ConfigError::new("slow_rate", "needs `failure_rate`"));
            }
            if self.slow_call.is_none() {
                return Err(ConfigError::new("slow_rate", "needs `slow_call`"));
            }
        }
        Ok(BreakerPolicy { config: self })
    }
}

/// A checked breaker policy. Make one with [`BreakerConfig::build`], then a
/// [`CircuitBreaker`](super::CircuitBreaker) from it.
///
/// ```
/// use resilient_core::circuit_breaker::{BreakerConfig, BreakerPolicy};
///
/// const POLICY: BreakerPolicy = match BreakerConfig::new().threshold(3).build() {
///     Ok(p) => p,
///     Err(_) => panic!("invalid breaker policy"),
/// };
/// assert_eq!(POLICY.config().consecutive_threshold(), Some(3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerPolicy {
    pub(crate) config: BreakerConfig,
}

impl BreakerPolicy {
    /// The settings this policy was built from.
    pub const fn config(&self) -> &BreakerConfig {
        &self.config
    }

    /// Whether slow calls count as failures (no `slow_rate` of their own).
    pub(crate) const fn slow_is_failure(&self) -> bool {
        self.config.slow_rate.is_none()
    }

    /// The cooldown after `reopens` failed probes in a row, before jitter.
    pub(crate) fn cooldown(&self, reopens: u32) -> Duration {
        let c = &self.config;
        match c.max_cooldown {
            None => c.cooldown,
            Some(cap) => c
                .cooldown
                .checked_mul(1u32.checked_shl(reopens.min(31)).unwrap_or(u32::MAX))
                .map_or(cap, |d| d.min(cap)),
        }
    }
}
