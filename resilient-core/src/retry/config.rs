use std::time::Duration;

use crate::ConfigError;

/// How the delay grows from one retry to the next.
///
/// # Default
/// [`Schedule::Exponential`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Schedule {
    /// `backoff × factor^n` for the n-th retry (from 0): 2 s, 4 s, 8 s.
    #[default]
    Exponential,
    /// `backoff × (n + 1)`: 2 s, 4 s, 6 s.
    Linear,
    /// `backoff` every time.
    Constant,
}

/// The random spread put on each delay, so that many clients that failed
/// together do not retry together (the thundering herd).
///
/// Every kind keeps the delay within `[0, max_delay]`, and stays random when
/// the schedule has reached the cap.
///
/// # Default
/// [`Jitter::None`]: delays follow the schedule exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Jitter {
    /// The delay as scheduled.
    #[default]
    None,
    /// Uniform in `[0, d]` for a scheduled delay `d`: the least total work
    /// in AWS's study of backoff under contention.
    Full,
    /// Uniform in `[d/2, d]`: never much shorter than scheduled.
    Equal,
    /// Uniform in `[backoff, min(max_delay, 3 × previous delay)]`, ignoring
    /// the schedule: AWS's "decorrelated jitter".
    Decorrelated,
}

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
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryConfig {
    pub(crate) max_retries: u32,
    pub(crate) backoff: Duration,
    pub(crate) schedule: Schedule,
    pub(crate) factor: f64,
    pub(crate) max_delay: Duration,
    pub(crate) jitter: Jitter,
    pub(crate) timeout: Option<Duration>,
    pub(crate) timeout_factor: f64,
    pub(crate) deadline: Option<Duration>,
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
            max_retries: 3,
            backoff: Duration::from_millis(100),
            schedule: Schedule::Exponential,
            factor: 2.0,
            max_delay: Duration::from_secs(30),
            jitter: Jitter::None,
            timeout: None,
            timeout_factor: 1.0,
            deadline: None,
        }
    }

    /// Retries after the first attempt: `3` makes at most 4 attempts, as
    /// Polly's `RetryCount` and the tutorial's `max_retries` count. Zero
    /// makes one attempt and never retries.
    pub const fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Attempts in all, counting the first: `attempts(4)` is `max_retries(3)`.
    /// Zero is refused by [`build`](Self::build).
    pub const fn attempts(mut self, n: u32) -> Self {
        // u32::MAX retries is the same as "forever" in practice; zero
        // attempts wraps to it and is caught by build() below.
        self.max_retries = n.wrapping_sub(1);
        self
    }

    /// The first delay, and the unit of the schedule.
    pub const fn backoff(mut self, base: Duration) -> Self {
        self.backoff = base;
        self
    }

    /// How delays grow.
    pub const fn schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// The growth factor of the exponential schedule; at least 1.0.
    pub const fn factor(mut self, factor: f64) -> Self {
        self.factor = factor;
        self
    }

    /// The longest delay between attempts, jitter included.
    pub const fn max_delay(mut self, cap: Duration) -> Self {
        self.max_delay = cap;
        self
    }

    /// The random spread on each delay.
    pub const fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// A time limit for each attempt; an attempt that overruns it fails with
    /// [`TimedOut`](crate::TimedOut), which is retried.
    pub const fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// How the per-attempt timeout grows: attempt n (from 0) may take
    /// `timeout × timeout_factor^n`, so `2.0` gives 30 s, 60 s, 120 s.
    pub const fn timeout_factor(mut self, factor: f64) -> Self {
        self.timeout_factor = factor;
        self
    }

    /// A budget for the whole call, attempts and delays together. No delay
    /// runs past it, and the attempt running when it passes is cut short.
    pub const fn deadline(mut self, budget: Duration) -> Self {
        self.deadline = Some(budget);
        self
    }

    /// The first delay.
    pub const fn backoff_base(&self) -> Duration {
        self.backoff
    }

    /// Checks the settings and makes the policy.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first field whose value makes no sense:
    /// a zero `attempts`, `backoff`, `max_delay`, `timeout` or `deadline`; a
    /// `factor` or `timeout_factor` below 1 or not finite; a `max_delay`
    /// below `backoff`.
    pub const fn build(self) -> Result<RetryPolicy, ConfigError> {
        if self.max_retries == u32::MAX {
            return Err(ConfigError::new("attempts", "must be at least 1"));
        }
        if self.backoff.is_zero() {
            return Err(ConfigError::new("backoff", "must be greater than zero"));
        }
        if !(self.factor >= 1.0 && self.factor.is_finite()) {
            return Err(ConfigError::new("factor", "must be at least 1.0"));
        }
        if self.max_delay.is_zero() {
            return Err(ConfigError::new("max_delay", "must be greater than zero"));
        }
        if self.max_delay.as_nanos() < self.backoff.as_nanos() {
            return Err(ConfigError::new(
                "max_delay",
                "must not be less than `backoff`",
            ));
        }
        if let Some(t) = self.timeout {
            if t.is_zero() {
                return Err(ConfigError::new("timeout", "must be greater than zero"));
            }
        }
        if !(self.timeout_factor >= 1.0 && self.timeout_factor.is_finite()) {
            return Err(ConfigError::new("timeout_factor", "must be at least 1.0"));
        }
        if let Some(d) = self.deadline {
            if d.is_zero() {
                return Err(ConfigError::new("deadline", "must be greater than zero"));
            }
        }
        Ok(RetryPolicy { config: self })
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
    pub(crate) config: RetryConfig,
}

impl RetryPolicy {
    /// The policy of [`RetryConfig::new`]'s defaults.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        config: RetryConfig::new(),
    };

    /// Retries after the first attempt.
    pub const fn max_retries(&self) -> u32 {
        self.config.max_retries
    }

    /// The settings this policy was built from.
    pub const fn config(&self) -> &RetryConfig {
        &self.config
    }
}
