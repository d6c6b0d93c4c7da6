//! Named policies: each tool's recovery (retry, breaker, timeout, fallback
//! tools), loaded from a TOML file that operators can tune without
//! recompiling.
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
//! Every value gets the checks the attributes get at compile time, here at
//! load time: a file with a bad value is refused with the key and line, and
//! the policies loaded before stay in force. `#[retry(policy = "ocr")]`
//! reads its settings from the loaded policy on each call.
//!
//! ```
//! use std::time::Duration;
//! use resilient_core::policy;
//!
//! policy::load("[ocr.retry]\nmax = 3\nbackoff = \"2s\"\n").unwrap();
//! assert_eq!(policy::get("ocr").unwrap().retry.unwrap().max_retries(), 3);
//!
//! let err = policy::load("[ocr.retry]\nmax = 0\n").unwrap_err();
//! assert_eq!((err.key(), err.line()), ("ocr.retry.max", Some(2)));
//! assert_eq!(policy::get("ocr").unwrap().retry.unwrap().max_retries(), 3); // kept
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::circuit_breaker::{BreakerConfig, BreakerPolicy, Window};
use crate::{ConfigError, Jitter, RetryConfig, RetryPolicy, Schedule};

/// One tool's recovery.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policy {
    /// How to retry, if at all.
    pub retry: Option<RetryPolicy>,
    /// The breaker in front of the tool, if any.
    pub circuit_breaker: Option<BreakerPolicy>,
    /// A limit on each call (each attempt, with a retry).
    pub timeout: Option<Duration>,
    /// Tools to try in order when this one fails, by name.
    pub fallback: Vec<String>,
}

/// A set of named policies, checked.
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

    /// Why.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.key.is_empty()) {
            (Some(line), false) => write!(f, "line {line}, `{}`: {}", self.key, self.message),
            (Some(line), true) => write!(f, "line {line}: {}", self.message),
            (None, false) => write!(f, "`{}`: {}", self.key, self.message),
            (None, true) => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for PolicyError {}

impl Policies {
    /// Parses and checks a policy file.
    ///
    /// # Errors
    /// The first key that does not parse or makes no sense, with its line.
    pub fn from_toml(text: &str) -> Result<Policies, PolicyError> {
        let raw: BTreeMap<String, RawPolicy> = toml::from_str(text).map_err(|e| PolicyError {
            key: String::new(),
            line: e.span().map(|s| line_of(text, s.start)),
            message: e.message().trim().to_string(),
        })?;
        let mut by_name = BTreeMap::new();
        for (name, raw) in raw {
            let at = Checker { text, name: &name };
            by_name.insert(name.clone(), at.policy(raw)?);
        }
        Ok(Policies { by_name })
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
pub fn load(text: &str) -> Result<(), PolicyError> {
    let policies = Arc::new(Policies::from_toml(text)?);
    *CURRENT.write().unwrap_or_else(|p| p.into_inner()) = Some(policies);
    tracing::info!(target: "resilient", "policies loaded");
    Ok(())
}

/// [`load`] from a file.
///
/// # Errors
/// A file that cannot be read, or as [`Policies::from_toml`].
pub fn load_file(path: impl AsRef<Path>) -> Result<(), PolicyError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| PolicyError {
        key: String::new(),
        line: None,
        message: format!("cannot read {}: {e}", path.display()),
    })?;
    load(&text).map_err(|mut e| {
        e.message = format!("{}: {}", path.display(), e.message);
        e
    })
}

/// The loaded policies (empty before any [`load`]).
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

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

// ---- the file as written ------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    retry: Option<RawRetry>,
    circuit_breaker: Option<RawBreaker>,
    timeout: Option<Spanned<Seconds>>,
    #[serde(default)]
    fallback: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetry {
    max: Option<Spanned<u32>>,
    attempts: Option<Spanned<u32>>,
    backoff: Option<Spanned<Seconds>>,
    schedule: Option<Spanned<String>>,
    factor: Option<Spanned<f64>>,
    max_delay: Option<Spanned<Seconds>>,
    jitter: Option<Spanned<JitterValue>>,
    timeout: Option<Spanned<Seconds>>,
    timeout_factor: Option<Spanned<f64>>,
    deadline: Option<Spanned<Seconds>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBreaker {
    threshold: Option<Spanned<u32>>,
    cooldown: Option<Spanned<Seconds>>,
    half_open: Option<Spanned<u32>>,
    close_after: Option<Spanned<u32>>,
    failure_rate: Option<Spanned<f64>>,
    window: Option<Spanned<WindowValue>>,
    min_calls: Option<Spanned<u32>>,
    slow_call: Option<Spanned<Seconds>>,
    slow_rate: Option<Spanned<f64>>,
    max_cooldown: Option<Spanned<Seconds>>,
    cooldown_jitter: Option<Spanned<f64>>,
}

/// `"30s"` or a number of seconds.
#[derive(Deserialize)]
#[serde(untagged)]
enum Seconds {
    Text(String),
    Number(f64),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum JitterValue {
    Flag(bool),
    Kind(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WindowValue {
    Calls(u32),
    Time(String),
}

// ---- checking -----------------------------------------------------------

struct Checker<'a> {
    text: &'a str,
    name: &'a str,
}

impl Checker<'_> {
    fn error(
        &self,
        key: &str,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> PolicyError {
        PolicyError {
            key: format!("{}.{key}", self.name),
            line: span.map(|s| line_of(self.text, s.start)),
            message: message.into(),
        }
    }

    fn duration(&self, key: &str, v: &Spanned<Seconds>) -> Result<Duration, PolicyError> {
        let d = match v.get_ref() {
            Seconds::Text(t) => humantime::parse_duration(t).map_err(|e| {
                self.error(
                    key,
                    Some(v.span()),
                    format!("\"{t}\" is not a duration: {e}"),
                )
            })?,
            Seconds::Number(n) => Duration::try_from_secs_f64(*n).map_err(|_| {
                self.error(key, Some(v.span()), "must be a positive number of seconds")
            })?,
        };
        Ok(d)
    }

    fn policy(&self, raw: RawPolicy) -> Result<Policy, PolicyError> {
        let timeout = match &raw.timeout {
            Some(t) => {
                let d = self.duration("timeout", t)?;
                if d.is_zero() {
                    return Err(self.error("timeout", Some(t.span()), "must be greater than zero"));
                }
                Some(d)
            }
            None => None,
        };
        Ok(Policy {
            retry: raw.retry.map(|r| self.retry(r)).transpose()?,
            circuit_breaker: raw.circuit_breaker.map(|b| self.breaker(b)).transpose()?,
            timeout,
            fallback: raw.fallback.into_iter().map(Spanned::into_inner).collect(),
        })
    }

    fn retry(&self, r: RawRetry) -> Result<RetryPolicy, PolicyError> {
        let key = |k: &str| format!("retry.{k}");
        if let (Some(_), Some(a)) = (&r.max, &r.attempts) {
            return Err(self.error(
                &key("attempts"),
                Some(a.span()),
                "`max` and `attempts` both set the number of attempts; keep one",
            ));
        }
        let mut c = RetryConfig::new();
        let mut spans: Vec<(&str, Range<usize>)> = Vec::new();
        if let Some(v) = &r.max {
            spans.push(("attempts", v.span()));
            c = c.max_retries(*v.get_ref());
            if *v.get_ref() == 0 {
                return Err(self.error(&key("max"), Some(v.span()), "must be at least 1"));
            }
        }
        if let Some(v) = &r.attempts {
            spans.push(("attempts", v.span()));
            c = c.attempts(*v.get_ref());
        }
        for (name, value) in [
            ("backoff", &r.backoff),
            ("max_delay", &r.max_delay),
            ("timeout", &r.timeout),
            ("deadline", &r.deadline),
        ] {
            if let Some(v) = value {
                spans.push((name, v.span()));
                let d = self.duration(&key(name), v)?;
                c = match name {
                    "backoff" => c.backoff(d),
                    "max_delay" => c.max_delay(d),
                    "timeout" => c.timeout(d),
                    _ => c.deadline(d),
                };
            }
        }
        if let Some(v) = &r.schedule {
            spans.push(("schedule", v.span()));
            c = c.schedule(match v.get_ref().as_str() {
                "exponential" => Schedule::Exponential,
                "linear" => Schedule::Linear,
                "constant" => Schedule::Constant,
                other => {
                    return Err(self.error(&key("schedule"), Some(v.span()), format!(
                        "unknown schedule \"{other}\"; expected \"exponential\", \"linear\" or \"constant\""
                    )))
                }
            });
        }
        if let Some(v) = &r.factor {
            spans.push(("factor", v.span()));
            c = c.factor(*v.get_ref());
        }
        if let Some(v) = &r.timeout_factor {
            spans.push(("timeout_factor", v.span()));
            c = c.timeout_factor(*v.get_ref());
        }
        if let Some(v) = &r.jitter {
            spans.push(("jitter", v.span()));
            c = c.jitter(match v.get_ref() {
                JitterValue::Flag(true) => Jitter::Full,
                JitterValue::Flag(false) => Jitter::None,
                JitterValue::Kind(k) => match k.as_str() {
                    "full" => Jitter::Full,
                    "equal" => Jitter::Equal,
                    "decorrelated" => Jitter::Decorrelated,
                    "none" => Jitter::None,
                    other => {
                        return Err(self.error(&key("jitter"), Some(v.span()), format!(
                            "unknown jitter \"{other}\"; expected \"full\", \"equal\", \"decorrelated\" or \"none\""
                        )))
                    }
                },
            });
        }
        c.build().map_err(|e| self.config_error("retry", e, &spans))
    }

    fn breaker(&self, b: RawBreaker) -> Result<BreakerPolicy, PolicyError> {
        let mut c = BreakerConfig::new();
        let mut spans: Vec<(&str, Range<usize>)> = Vec::new();
        let ints = [
            ("threshold", &b.threshold),
            ("half_open", &b.half_open),
            ("close_after", &b.close_after),
            ("min_calls", &b.min_calls),
        ];
        for (name, value) in ints {
            if let Some(v) = value {
                spans.push((name, v.span()));
                let n = *v.get_ref();
                c = match name {
                    "threshold" => c.threshold(n),
                    "half_open" => c.half_open(n),
                    "close_after" => c.close_after(n),
                    _ => c.min_calls(n),
                };
            }
        }
        let floats = [
            ("failure_rate", &b.failure_rate),
            ("slow_rate", &b.slow_rate),
            ("cooldown_jitter", &b.cooldown_jitter),
        ];
        for (name, value) in floats {
            if let Some(v) = value {
                spans.push((name, v.span()));
                let x = *v.get_ref();
                c = match name {
                    "failure_rate" => c.failure_rate(x),
                    "slow_rate" => c.slow_rate(x),
                    _ => c.cooldown_jitter(x),
                };
            }
        }
        let durations = [
            ("cooldown", &b.cooldown),
            ("slow_call", &b.slow_call),
            ("max_cooldown", &b.max_cooldown),
        ];
        for (name, value) in durations {
            if let Some(v) = value {
                spans.push((name, v.span()));
                let d = self.duration(&format!("circuit_breaker.{name}"), v)?;
                c = match name {
                    "cooldown" => c.cooldown(d),
                    "slow_call" => c.slow_call(d),
                    _ => c.max_cooldown(d),
                };
            }
        }
        if let Some(v) = &b.window {
            spans.push(("window", v.span()));
            c = c.window(match v.get_ref() {
                WindowValue::Calls(n) => Window::Calls(*n),
                WindowValue::Time(t) => {
                    let d = humantime::parse_duration(t).map_err(|e| {
                        self.error(
                            "circuit_breaker.window",
                            Some(v.span()),
                            format!("\"{t}\" is not a duration: {e}"),
                        )
                    })?;
                    Window::Time(d)
                }
            });
        }
        c.build()
            .map_err(|e| self.config_error("circuit_breaker", e, &spans))
    }

    /// A refusal by a config's `build()`, placed at the key it names.
    fn config_error(
        &self,
        section: &str,
        e: ConfigError,
        spans: &[(&str, Range<usize>)],
    ) -> PolicyError {
        let span = spans
            .iter()
            .find(|(k, _)| *k == e.field())
            .map(|(_, s)| s.clone());
        self.error(&format!("{section}.{}", e.field()), span, e.reason())
    }
}
