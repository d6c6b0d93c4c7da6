use std::time::Duration;

pub use resilient_spec::circuit_breaker::Window;
use resilient_spec::circuit_breaker::{self as spec, Resolved, Settings};

use crate::ConfigError;

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
/// assert_eq!(policy.cooldown(), Duration::from_secs(30));
///
/// // A bad value is an error naming the field, never a panic.
/// let err = BreakerConfig::new().failure_rate(1.5).build().unwrap_err();
/// assert_eq!(err.field(), "failure_rate");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerConfig {
    settings: Settings,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self::new()
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty => $key:ident;)*) => {$(
        $(#[$doc])*
        pub const fn $name(mut self, value: $ty) -> Self {
            self.settings.$name = Some(value);
            self.settings.written.mark(&spec::$key);
            self
        }
    )*};
}

impl BreakerConfig {
    /// The defaults listed above.
    pub const fn new() -> Self {
        BreakerConfig {
            settings: Settings::NEW,
        }
    }

    #[cfg(feature = "policy-files")]
    pub(crate) const fn from_settings(settings: Settings) -> Self {
        BreakerConfig { settings }
    }

    crate::private::config_doors!(BreakerPolicy);

    setters! {
        /// Opens after `n` consecutive failures (at most 1,000,000). Not
        /// with [`failure_rate`](Self::failure_rate).
        threshold: u32 => THRESHOLD;
        /// Opens when at least this share of the calls in the
        /// [`window`](Self::window) failed, in (0, 1], read to nine
        /// decimal places. Not with [`threshold`](Self::threshold).
        failure_rate: f64 => FAILURE_RATE;
        /// The calls the rates are measured over.
        window: Window => WINDOW;
        /// Calls the window must hold before a rate may open the breaker,
        /// so that one failure in the first call is not a 100% failure
        /// rate.
        min_calls: u32 => MIN_CALLS;
        /// How long the breaker stays open before it lets a probe through.
        cooldown: Duration => COOLDOWN;
        /// Lets the cooldown double each time a probe fails and the breaker
        /// opens again, up to this; a close or a reset starts it afresh.
        max_cooldown: Duration => MAX_COOLDOWN;
        /// Spreads each cooldown uniformly over `cooldown × (1 ± jitter)`,
        /// in [0, 1), so that a fleet of clients does not probe in lockstep.
        cooldown_jitter: f64 => COOLDOWN_JITTER;
        /// Probes admitted after the cooldown (at most 1000); other calls
        /// are refused until they finish.
        half_open: u32 => HALF_OPEN;
        /// Probe successes that close the breaker; at most
        /// [`half_open`](Self::half_open). Any probe failure opens it again.
        close_after: u32 => CLOSE_AFTER;
        /// A call that takes longer than this is slow, whatever its
        /// outcome. Slow calls count as failures, unless
        /// [`slow_rate`](Self::slow_rate) gives them a threshold of their
        /// own.
        slow_call: Duration => SLOW_CALL;
        /// With a `failure_rate`: opens when at least this share of the
        /// window's calls were slow, in (0, 1].
        slow_rate: f64 => SLOW_RATE;
    }

    /// Checks the settings and makes the policy.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first setter whose value breaks a rule,
    /// in the words the attribute and policy files use: a zero count,
    /// duration or window; a rate outside (0, 1]; both `threshold` and
    /// `failure_rate`; `window`, `min_calls` or `slow_rate` without
    /// `failure_rate`; `min_calls` above a count window; `close_after`
    /// above `half_open`; `max_cooldown` below `cooldown`; a
    /// `cooldown_jitter` outside [0, 1); `slow_rate` without `slow_call`;
    /// a duration longer than 584 years.
    pub const fn build(self) -> Result<BreakerPolicy, ConfigError> {
        match spec::check(&self.settings).first() {
            Some(v) => Err(ConfigError::new(v)),
            None => Ok(BreakerPolicy {
                config: self,
                resolved: self.settings.resolve(),
            }),
        }
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
/// assert_eq!(POLICY.threshold(), Some(3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerPolicy {
    config: BreakerConfig,
    pub(crate) resolved: Resolved,
}

impl BreakerPolicy {
    /// The policy of [`BreakerConfig::new`]'s defaults.
    pub const DEFAULT: BreakerPolicy = match BreakerConfig::new().build() {
        Ok(p) => p,
        Err(_) => panic!("the defaults pass their own rules"),
    };

    /// The settings this policy was built from.
    pub const fn config(&self) -> &BreakerConfig {
        &self.config
    }

    /// The consecutive failures that open the breaker, or `None` in rate
    /// mode.
    pub const fn threshold(&self) -> Option<u32> {
        self.resolved.threshold
    }

    /// The cooldown before the first probe.
    pub const fn cooldown(&self) -> Duration {
        self.resolved.cooldown
    }

    /// What the rates are measured over.
    pub const fn window(&self) -> Window {
        self.resolved.window
    }

    /// Whether slow calls count as failures (no `slow_rate` of their own).
    pub(crate) const fn slow_is_failure(&self) -> bool {
        self.resolved.slow_rate.is_none()
    }

    /// The cooldown after `reopens` failed probes in a row, before jitter.
    pub(crate) fn grown_cooldown(&self, reopens: u32) -> Duration {
        let r = &self.resolved;
        match r.max_cooldown {
            None => r.cooldown,
            Some(cap) => r
                .cooldown
                .checked_mul(1u32.checked_shl(reopens.min(31)).unwrap_or(u32::MAX))
                .map_or(cap, |d| d.min(cap)),
        }
    }
}
