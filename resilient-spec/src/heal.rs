//! `self_heal`: diagnose a failure, run a remedy, and try again.

use core::time::Duration;

use crate::rule::{self, count, too_large, Report, Violation};
use crate::{Key, Kind, Value, Written, WrongKind};

/// `diagnoser = path`: the async fn that looks at the error.
pub const DIAGNOSER: Key = key(0, "diagnoser", Kind::Path, false, "diagnose");
/// `max = N`: heal rounds at most.
pub const MAX: Key = key(1, "max", Kind::Count, true, "2");
/// `backoff = "100ms"`: the wait before round n is `backoff × 2^n`.
pub const BACKOFF: Key = key(2, "backoff", Kind::Duration, true, "\"100ms\"");
/// `timeout = "10s"`: a limit on each diagnosis and remedy.
pub const TIMEOUT: Key = key(3, "timeout", Kind::Duration, true, "\"10s\"");
/// `then = retry(attempts = 3, backoff = "500ms")`: the tutorial's shape:
/// one diagnosis, then the original call retried on this schedule without
/// diagnosing again. Attributes and builders only.
pub const THEN: Key = key(
    5,
    "then",
    Kind::Expr,
    false,
    "retry(attempts = 3, backoff = \"500ms\")",
);
/// `crate = "path"`: where the runtime is.
pub const CRATE: Key = key(
    4,
    "crate",
    Kind::Text,
    false,
    "\"my_crate::resilient_async\"",
);

const fn key(id: u8, name: &'static str, kind: Kind, in_file: bool, example: &'static str) -> Key {
    Key {
        id,
        name,
        field: name,
        kind,
        in_file,
        example,
    }
}

/// Every key of `#[self_heal]`.
pub const KEYS: &[Key] = &[DIAGNOSER, MAX, BACKOFF, TIMEOUT, CRATE, THEN];

/// A heal policy with every default applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    /// Heal rounds at most.
    pub max: u32,
    /// The wait before the first round; it doubles each round.
    pub backoff: Duration,
    /// A limit on each diagnosis; `None`: the call's own limits.
    pub timeout: Option<Duration>,
}

/// The defaults: 2 rounds, 100 ms apart and doubling, no limit of their own.
pub const DEFAULTS: Resolved = Resolved {
    max: 2,
    backoff: Duration::from_millis(100),
    timeout: None,
};

/// What was written for self-healing.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Settings {
    /// `max`.
    pub max: Option<u32>,
    /// `backoff`.
    pub backoff: Option<Duration>,
    /// `timeout`.
    pub timeout: Option<Duration>,
    /// Which keys were written.
    pub written: Written,
}

impl Settings {
    /// Nothing written.
    pub const NEW: Settings = Settings {
        max: None,
        backoff: None,
        timeout: None,
        written: Written::NONE,
    };

    /// Records `value` for `key`: what every front end calls, the
    /// attribute's expansion in a `const`.
    ///
    /// # Errors
    /// [`WrongKind`] for a value not of the key's kind; a count too large
    /// for its key is a violation of its own, returned as `Ok(Some(..))`.
    pub const fn set(
        &mut self,
        key: &'static Key,
        value: Value,
    ) -> Result<Option<Violation>, WrongKind> {
        self.written.mark(key);
        match (key.id, value) {
            (1, Value::Count(n)) => match count(key, n) {
                Some(n) => self.max = Some(n),
                None => {
                    self.written.refuse(key);
                    return Ok(Some(too_large(key)));
                }
            },
            (2, Value::Duration(d)) => self.backoff = Some(d),
            (3, Value::Duration(d)) => self.timeout = Some(d),
            (0 | 4 | 5, Value::Code | Value::Text { .. }) => {}
            _ => return Err(WrongKind(key.name)),
        }
        Ok(None)
    }

    /// The policy with every default applied.
    pub const fn resolve(&self) -> Resolved {
        Resolved {
            max: match self.max {
                Some(n) => n,
                None => DEFAULTS.max,
            },
            backoff: match self.backoff {
                Some(b) => b,
                None => DEFAULTS.backoff,
            },
            timeout: self.timeout,
        }
    }
}

/// Every rule of self-healing: at least one round; durations above zero.
///
/// ```
/// use resilient_spec::heal;
///
/// let s = heal::Settings { max: Some(0), ..heal::Settings::NEW };
/// assert_eq!(heal::check(&s).first().unwrap().to_string(), "`max` must be at least 1");
/// ```
pub const fn check(s: &Settings) -> Report {
    let mut r = Report::new();
    rule::at_least(&mut r, &MAX, s.max, 1);
    if s.written.has(&THEN) {
        if s.max.is_some() {
            rule::text(
                &mut r,
                &MAX,
                "repeats the diagnosis each round; with {o}, one diagnosis is followed by its retries",
                Some(&THEN),
            );
        }
        if s.backoff.is_some() {
            rule::text(
                &mut r,
                &BACKOFF,
                "spaces diagnosis rounds; with {o}, its own `backoff` spaces the retries",
                Some(&THEN),
            );
        }
    }
    rule::duration(&mut r, &BACKOFF, s.backoff);
    rule::duration(&mut r, &TIMEOUT, s.timeout);
    r
}
