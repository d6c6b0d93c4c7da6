//! Named policies: each tool's recovery (retry, breaker, timeout, heal
//! rounds, fallback tools), built in code or loaded from a TOML file that
//! operators can tune without recompiling.
//!
//! ```toml
//! [ocr]                      # the policy's name
//! timeout = "30s"
//! fallback = ["claude", "local_ocr"]
//!
//! [ocr.retry]                # the keys of #[retry]
//! max = 3
//! backoff = "2s"
//! jitter = true
//!
//! [ocr.circuit_breaker]      # the keys of #[circuit_breaker]
//! threshold = 5
//! cooldown = "60s"
//! ```
//!
//! A file's keys are the attributes' keys, and every value gets the rules
//! the attributes get at compile time and the builders at `build()`, here
//! at load time, in the same words: a file with a bad value is refused with
//! the dotted key and line, and the policies loaded before stay in force.
//! `#[retry(policy = "ocr")]` reads its settings from the loaded policy on
//! each call.
//!
//! Loading files takes the `policy-files` feature; [`set`] takes policies
//! built in code.
//!
//! ```
//! # #[cfg(feature = "policy-files")] {
//! use resilient_core::policy;
//!
//! policy::load("[ocr.retry]\nmax = 3\nbackoff = \"2s\"\n").unwrap();
//! assert_eq!(policy::get("ocr").unwrap().retry.unwrap().max_retries(), 3);
//!
//! let err = policy::load("[ocr.retry]\nattempts = 0\n").unwrap_err();
//! assert_eq!((err.key(), err.line()), ("ocr.retry.attempts", Some(2)));
//! assert_eq!(err.to_string(), "line 2: `ocr.retry.attempts` must be at least 1");
//! assert_eq!(policy::get("ocr").unwrap().retry.unwrap().max_retries(), 3); // kept
//! # }
//! ```

use std::collections::BTreeMap;
use std::fmt;
#[cfg(feature = "policy-files")]
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::circuit_breaker::BreakerPolicy;
use crate::heal::HealPolicy;
use crate::RetryPolicy;

#[cfg(feature = "policy-files")]
mod file;

/// One tool's recovery.
///
/// ```
/// use std::time::Duration;
/// use resilient_core::policy::Policy;
/// use resilient_core::RetryConfig;
///
/// let policy = Policy {
///     retry: Some(RetryConfig::new().max_retries(3).build().unwrap()),
///     timeout: Some(Duration::from_secs(30)),
///     fallback: vec!["local_ocr".into()],
///     ..Policy::default()
/// };
/// assert_eq!(policy.fallback, ["local_ocr"]);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policy {
    /// How to retry, if at all.
    pub retry: Option<RetryPolicy>,
    /// The breaker in front of the tool, if any.
    pub circuit_breaker: Option<BreakerPolicy>,
    /// A limit on each call (each attempt, with a retry).
    pub timeout: Option<Duration>,
    /// Heal rounds, for a tool with a diagnoser.
    pub self_heal: Option<HealPolicy>,
    /// Tools to try in order when this one fails, by name.
    pub fallback: Vec<String>,
}

/// The tutorial's `ErrorStrategy`: what a policy does when its tool fails,
/// read from what the policy holds.
///
/// ```
/// use resilient_core::policy::{ErrorStrategy, Policy};
/// use resilient_core::RetryConfig;
///
/// let retry = Policy { retry: Some(RetryConfig::new().build().unwrap()), ..Policy::default() };
/// assert_eq!(retry.strategy(), ErrorStrategy::Retry);
/// let fallback = Policy { fallback: vec!["local_ocr".into()], ..Policy::default() };
/// assert_eq!(fallback.strategy(), ErrorStrategy::Fallback);
/// assert_eq!(Policy::default().strategy(), ErrorStrategy::Fail);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorStrategy {
    /// Retry the tool (`max_retries > 0`), with no fallback.
    Retry,
    /// Try the fallback tools in order, without retrying the tool
    /// (`max_retries = 0`: "don't retry, just fallback").
    Fallback,
    /// Retry the tool, then try the fallback tools.
    RetryThenFallback,
    /// Neither: the first error is returned (a breaker or a time limit may
    /// still apply).
    Fail,
}

impl Policy {
    /// The tutorial's `ErrorRecoveryPolicy(strategy=RETRY, max_retries,
    /// retry_backoff)`: `max_retries` retries, `retry_backoff` seconds
    /// apart and doubling (`2.0`: 2 s, 4 s, 8 s).
    ///
    /// # Errors
    /// As [`RetryConfig::build`](crate::RetryConfig::build), naming the field.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilient_core::policy::{ErrorStrategy, Policy};
    ///
    /// let ocr = Policy::retrying(3, 2.0).unwrap();
    /// let retry = ocr.retry.unwrap();
    /// assert_eq!(retry.max_retries(), 3);
    /// assert_eq!(ocr.strategy(), ErrorStrategy::Retry);
    /// assert!(Policy::retrying(3, -1.0).is_err());
    /// ```
    pub fn retrying(max_retries: u32, retry_backoff: f64) -> Result<Policy, crate::ConfigError> {
        let backoff = Duration::try_from_secs_f64(retry_backoff).unwrap_or(Duration::ZERO);
        let retry = crate::RetryConfig::new()
            .max_retries(max_retries)
            .backoff(backoff)
            .build()?;
        Ok(Policy {
            retry: Some(retry),
            ..Policy::default()
        })
    }

    /// The tutorial's `ErrorRecoveryPolicy(strategy=FALLBACK, max_retries=0,
    /// fallback_tools)`: no retry, then each of `tools` in order.
    ///
    /// ```
    /// use resilient_core::policy::{ErrorStrategy, Policy};
    ///
    /// let vision = Policy::falling_back(["claude_vision", "local_ocr"]);
    /// assert_eq!(vision.strategy(), ErrorStrategy::Fallback);
    /// ```
    pub fn falling_back<S: Into<String>>(tools: impl IntoIterator<Item = S>) -> Policy {
        Policy {
            fallback: tools.into_iter().map(Into::into).collect(),
            ..Policy::default()
        }
    }

    /// What the policy does when its tool fails.
    pub fn strategy(&self) -> ErrorStrategy {
        let retries = self.retry.is_some_and(|r| r.max_retries() > 0);
        match (retries, self.fallback.is_empty()) {
            (true, true) => ErrorStrategy::Retry,
            (false, false) => ErrorStrategy::Fallback,
            (true, false) => ErrorStrategy::RetryThenFallback,
            (false, true) => ErrorStrategy::Fail,
        }
    }
}

/// A set of named policies, checked.
///
/// ```
/// use resilient_core::policy::{Policies, Policy};
///
/// let mut set = Policies::new();
/// set.insert("local_ocr", Policy::default());
/// assert_eq!(set.names().collect::<Vec<_>>(), ["local_ocr"]);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policies {
    by_name: BTreeMap<String, Policy>,
}

/// A policy file that was refused: which key, on which line, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    key: String,
    line: Option<usize>,
    message: String,
}

impl PolicyError {
    /// The dotted key at fault (`"ocr.retry.max"`), or empty when the file
    /// does not parse at all.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The line (from 1), when known.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// Why, after the key: `must be at least 1`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        match self.key.as_str() {
            "" => f.write_str(&self.message),
            key => write!(f, "`{key}` {}", self.message),
        }
    }
}

impl std::error::Error for PolicyError {}

impl Policies {
    /// No policies.
    pub fn new() -> Self {
        Policies::default()
    }

    /// Parses and checks a policy file.
    ///
    /// # Errors
    /// The first key that does not parse or breaks a rule, with its line.
    #[cfg(feature = "policy-files")]
    #[cfg_attr(docsrs, doc(cfg(feature = "policy-files")))]
    pub fn from_toml(text: &str) -> Result<Policies, PolicyError> {
        file::parse(text)
    }

    /// Adds (or replaces) the policy called `name`.
    pub fn insert(&mut self, name: impl Into<String>, policy: Policy) -> &mut Self {
        self.by_name.insert(name.into(), policy);
        self
    }

    /// The policy called `name`.
    pub fn get(&self, name: &str) -> Option<&Policy> {
        self.by_name.get(name)
    }

    /// Every policy's name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
}

static CURRENT: RwLock<Option<Arc<Policies>>> = RwLock::new(None);

/// Checks `text` and makes it the loaded policies. On error nothing
/// changes: the policies loaded before stay in force.
///
/// # Errors
/// As [`Policies::from_toml`].
#[cfg(feature = "policy-files")]
#[cfg_attr(docsrs, doc(cfg(feature = "policy-files")))]
pub fn load(text: &str) -> Result<(), PolicyError> {
    set(Policies::from_toml(text)?);
    Ok(())
}

/// Makes `policies`, built in code, the loaded ones.
pub fn set(policies: Policies) {
    *CURRENT.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(policies));
    tracing::info!(target: "resilient", "policies loaded");
}

/// [`load`] from a file.
///
/// # Errors
/// A file that cannot be read, or as [`Policies::from_toml`].
#[cfg(feature = "policy-files")]
#[cfg_attr(docsrs, doc(cfg(feature = "policy-files")))]
pub fn load_file(path: impl AsRef<Path>) -> Result<(), PolicyError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| PolicyError {
        key: String::new(),
        line: None,
        message: format!("cannot read {}: {e}", path.display()),
    })?;
    load(&text).map_err(|mut e| {
        e.message = format!("{} (in {})", e.message, path.display());
        e
    })
}

/// The loaded policies (empty before any [`set`] or `load`).
pub fn current() -> Arc<Policies> {
    CURRENT
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .unwrap_or_default()
}

/// The loaded policy called `name`.
pub fn get(name: &str) -> Option<Policy> {
    current().get(name).cloned()
}

/// The retry settings of the loaded policy `name`: what
/// `#[retry(policy = "name")]` runs with. Without such a policy (or without
/// a `retry` section), the defaults, with a warning.
pub fn retry_policy(name: &'static str) -> RetryPolicy {
    let found = CURRENT
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .and_then(|p| p.get(name).and_then(|p| p.retry));
    found.unwrap_or_else(|| {
        tracing::warn!(target: "resilient", policy = name, "no retry policy loaded under this name; using the defaults");
        RetryPolicy::DEFAULT
    })
}
