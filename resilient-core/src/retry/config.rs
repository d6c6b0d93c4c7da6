use std::time::Duration;

use resilient_spec::retry::{self as spec, Resolved, Settings};
pub use resilient_spec::retry::{Jitter, Schedule};

use crate::ConfigError;

/// The settings of a retry policy, checked by [`build`](RetryConfig::build).
///
/// Every setter is a `const fn`, so a policy can be built at compile time;
/// `#[retry(...)]` builds its policy this way.
///
/// # Default
/// | setting | default |
/// |---|---|
/// | `max_retries` | 3 (so at most 4 attempts) |
/// | `backoff` | 100 ms |
/// | `schedule` | exponential |
/// | `factor` | 2.0 |
/// | `max_delay` | 30 s |
/// | `jitter` | none |
/// | `timeout` | none (attempts are not bounded) |
/// | `timeout_factor` | 1.0 |
/// | `deadline` | none |
///
/// ```
/// use std::time::Duration;
/// use resilient_core::{Jitter, RetryConfig};
///
/// let policy = RetryConfig::new()
///     .max_retries(5)
///     .backoff(Duration::from_secs(1))
///     .jitter(Jitter::Full)
///     .build()
///     .unwrap();
/// assert_eq!(policy.max_retries(), 5);
///
/// // A bad value is an error naming the field, never a panic.
/// assert_eq!(RetryConfig::new().max_delay(Duration::ZERO).build().unwrap_err().field(), "max_delay");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RetryConfig {
    settings: Settings,
}

/// Two configs are equal when they make the same policy (or break the same
/// rule): `attempts(4)` is `max_retries(3)`, and a default written out is
/// the default.
impl PartialEq for RetryConfig {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (spec::check(&self.settings), spec::check(&other.settings));
        a.first() == b.first() && self.settings.resolve() == other.settings.resolve()
    }
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl RetryConfig {
    /// The defaults listed above.
    pub const fn new() -> Self {
        RetryConfig {
            settings: Settings::NEW,
        }
    }

    #[cfg(feature = "policy-files")]
    pub(crate) const fn from_settings(settings: Settings) -> Self {
        RetryConfig { settings }
    }

    crate::private::config_doors!(RetryPolicy);

    /// Retries after the first attempt: `3` makes at most 4 attempts. Zero
    /// makes one attempt and never retries (a policy that only falls
    /// back). It replaces any [`attempts`](Self::attempts).
    pub const fn max_retries(mut self, n: u32) -> Self {
        self.settings.max = Some(n);
        self.settings.attempts = None;
        self.settings.written.mark(&spec::MAX);
        self.settings.written.keys &= !spec::ATTEMPTS.bit();
        self
    }

    /// Attempts in all, counting the first: `attempts(4)` is
    /// `max_retries(3)`. Zero is refused by [`build`](Self::build). It
    /// replaces any [`max_retries`](Self::max_retries).
    pub const fn attempts(mut self, n: u32) -> Self {
        self.settings.attempts = Some(n);
        self.settings.max = None;
        self.settings.written.mark(&spec::ATTEMPTS);
        self.settings.written.keys &= !spec::MAX.bit();
        self
    }

    /// The first delay, and the unit of the schedule.
    pub const fn backoff(mut self, base: Duration) -> Self {
        self.settings.backoff = Some(base);
        self.settings.written.mark(&spec::BACKOFF);
        self
    }

    /// How delays grow.
    pub const fn schedule(mut self, schedule: Schedule) -> Self {
        self.settings.schedule = Some(schedule);
        self.settings.written.mark(&spec::SCHEDULE);
        self
    }

    /// The growth factor of the exponential schedule; at least 1.0.
    pub const fn factor(mut self, factor: f64) -> Self {
        self.settings.factor = Some(factor);
        self.settings.written.mark(&spec::FACTOR);
        self
    }

    /// The longest delay between attempts, jitter included.
    pub const fn max_delay(mut self, cap: Duration) -> Self {
        self.settings.max_delay = Some(cap);
        self.settings.written.mark(&spec::MAX_DELAY);
        self
    }

    /// The random spread on each delay.
    pub const fn jitter(mut self, jitter: Jitter) -> Self {
        self.settings.jitter = Some(jitter);
        self.settings.written.mark(&spec::JITTER);
        self
    }

    /// A time limit for each attempt; an attempt that overruns it fails with
    /// [`TimedOut`](crate::TimedOut), which is retried.
    pub const fn timeout(mut self, limit: Duration) -> Self {
        self.settings.timeout = Some(limit);
        self.settings.written.mark(&spec::TIMEOUT);
        self
    }

    /// How the per-attempt timeout grows: attempt n (from 0) may take
    /// `timeout × timeout_factor^n`, so `2.0` gives 30 s, 60 s, 120 s.
    pub const fn timeout_factor(mut self, factor: f64) -> Self {
        self.settings.timeout_factor = Some(factor);
        self.settings.written.mark(&spec::TIMEOUT_FACTOR);
        self
    }

    /// A budget for the whole call, attempts, delays and heal rounds
    /// together. No delay runs past it, and the attempt running when it
    /// passes is cut short.
    pub const fn deadline(mut self, budget: Duration) -> Self {
        self.settings.deadline = Some(budget);
        self.settings.written.mark(&spec::DEADLINE);
        self
    }

    /// Checks the settings and makes the policy.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first setter whose value breaks a rule,
    /// in the words the attribute and policy files use: a zero `attempts`,
    /// `backoff`, `max_delay`, `timeout` or `deadline`; a duration longer
    /// than 584 years; a `factor` or `timeout_factor` below 1 or not
    /// finite; a `factor` with a linear or constant schedule; a `max_delay`
    /// below `backoff`; a `timeout_factor` without a `timeout`; a `timeout`
    /// longer than the `deadline`.
    pub const fn build(self) -> Result<RetryPolicy, ConfigError> {
        match spec::check(&self.settings).first() {
            Some(v) => Err(ConfigError::new(v)),
            None => Ok(RetryPolicy {
                config: self,
                resolved: self.settings.resolve(),
            }),
        }
    }
}

/// A checked retry policy: when to try again and how long to wait.
///
/// Make one with [`RetryConfig::build`], then [`run`](RetryPolicy::run) any
/// async operation through it; `#[retry]` uses the same engine.
///
/// ```
/// use resilient_core::RetryConfig;
///
/// let policy = RetryConfig::new().build().unwrap();
/// assert_eq!(policy.max_retries(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    config: RetryConfig,
    pub(crate) resolved: Resolved,
}

impl RetryPolicy {
    /// The policy of [`RetryConfig::new`]'s defaults.
    pub const DEFAULT: RetryPolicy = match RetryConfig::new().build() {
        Ok(p) => p,
        Err(_) => panic!("the defaults pass their own rules"),
    };

    /// Retries after the first attempt.
    pub const fn max_retries(&self) -> u32 {
        self.resolved.max_retries
    }

    /// The first delay.
    pub const fn backoff(&self) -> Duration {
        self.resolved.backoff
    }

    /// The longest delay.
    pub const fn max_delay(&self) -> Duration {
        self.resolved.max_delay
    }

    /// The random spread on each delay.
    pub const fn jitter(&self) -> Jitter {
        self.resolved.jitter
    }

    /// The budget of the whole call, if any.
    pub const fn deadline(&self) -> Option<Duration> {
        self.resolved.deadline
    }

    /// The settings this policy was built from.
    pub const fn config(&self) -> &RetryConfig {
        &self.config
    }
}
