//! `retry`: how many attempts, how long between them, and their time
//! limits.

use core::time::Duration;

use crate::rule::{self, count, nanos, too_large, Reason, Report, Violation};
use crate::{Key, Kind, Value, Written, WrongKind};

/// How the delay grows from one retry to the next.
///
/// # Default
/// [`Schedule::Exponential`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
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
/// Every kind keeps the delay within `max_delay`, and stays random when the
/// schedule has reached the cap.
///
/// | kind | a scheduled delay `d` becomes |
/// |---|---|
/// | `None` | `d` |
/// | `Full` | uniform in `[0, d]` |
/// | `Equal` | uniform in `[d/2, d]` |
/// | `Additive` | uniform in `[d, 1.5 × d]`: the tutorial's `base + uniform(0, 0.5 × base)` |
/// | `Decorrelated` | uniform in `[backoff, 3 × previous delay]`, ignoring the schedule |
///
/// # Default
/// [`Jitter::None`]: delays follow the schedule exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Jitter {
    /// The delay as scheduled.
    #[default]
    None,
    /// Uniform in `[0, d]`: the least total work in AWS's study of backoff
    /// under contention.
    Full,
    /// Uniform in `[d/2, d]`: never much shorter than scheduled.
    Equal,
    /// Uniform in `[backoff, min(max_delay, 3 × previous delay)]`: AWS's
    /// "decorrelated jitter".
    Decorrelated,
    /// Uniform in `[d, 1.5 × d]`: never sooner than scheduled, as the
    /// tutorial's `base + random.uniform(0, 0.5 × base)`.
    Additive,
}

const SCHEDULES: &[&str] = &["exponential", "linear", "constant"];
const JITTERS: &[&str] = &["none", "full", "equal", "decorrelated", "additive"];

/// `max = N`: retries after the first attempt.
pub const MAX: Key = Key {
    id: 0,
    name: "max",
    field: "max_retries",
    kind: Kind::Count,
    in_file: true,
    example: "3",
};
/// `attempts = N`: attempts counting the first.
pub const ATTEMPTS: Key = Key {
    id: 1,
    name: "attempts",
    field: "attempts",
    kind: Kind::Count,
    in_file: true,
    example: "4",
};
/// `backoff = "100ms"`: the first delay.
pub const BACKOFF: Key = Key {
    id: 2,
    name: "backoff",
    field: "backoff",
    kind: Kind::Duration,
    in_file: true,
    example: "\"100ms\"",
};
/// `schedule = "exponential"`.
pub const SCHEDULE: Key = Key {
    id: 3,
    name: "schedule",
    field: "schedule",
    kind: Kind::Choice {
        names: SCHEDULES,
        bare: None,
    },
    in_file: true,
    example: "\"exponential\"",
};
/// `factor = 2.0`: growth of the exponential schedule.
pub const FACTOR: Key = Key {
    id: 4,
    name: "factor",
    field: "factor",
    kind: Kind::Number,
    in_file: true,
    example: "2.0",
};
/// `max_delay = "30s"`: the longest delay.
pub const MAX_DELAY: Key = Key {
    id: 5,
    name: "max_delay",
    field: "max_delay",
    kind: Kind::Duration,
    in_file: true,
    example: "\"30s\"",
};
/// `jitter` or `jitter = "full"`.
pub const JITTER: Key = Key {
    id: 6,
    name: "jitter",
    field: "jitter",
    kind: Kind::Choice {
        names: JITTERS,
        bare: Some(1),
    },
    in_file: true,
    example: "\"full\"",
};
/// `timeout = "30s"`: a limit per attempt.
pub const TIMEOUT: Key = Key {
    id: 7,
    name: "timeout",
    field: "timeout",
    kind: Kind::Duration,
    in_file: true,
    example: "\"30s\"",
};
/// `timeout_factor = 2.0`: growth of the per-attempt limit.
pub const TIMEOUT_FACTOR: Key = Key {
    id: 8,
    name: "timeout_factor",
    field: "timeout_factor",
    kind: Kind::Number,
    in_file: true,
    example: "2.0",
};
/// `deadline = "2m"`: a budget for the whole call.
pub const DEADLINE: Key = Key {
    id: 9,
    name: "deadline",
    field: "deadline",
    kind: Kind::Duration,
    in_file: true,
    example: "\"2m\"",
};
/// `retry_if = path`: a predicate on the error.
pub const RETRY_IF: Key = Key {
    id: 10,
    name: "retry_if",
    field: "retry_if",
    kind: Kind::Path,
    in_file: false,
    example: "is_retryable",
};
/// `retry_on = path`: a predicate on a successful result, retried like a
/// transient error.
pub const RETRY_ON: Key = Key {
    id: 11,
    name: "retry_on",
    field: "retry_on",
    kind: Kind::Path,
    in_file: false,
    example: "is_busy",
};
/// `policy = "ocr"`: every setting from the loaded policy file.
pub const POLICY: Key = Key {
    id: 12,
    name: "policy",
    field: "policy",
    kind: Kind::Text,
    in_file: false,
    example: "\"ocr\"",
};
/// `crate = "path"`: where the runtime is.
pub const CRATE: Key = Key {
    id: 13,
    name: "crate",
    field: "crate",
    kind: Kind::Text,
    in_file: false,
    example: "\"my_crate::resilient_async\"",
};

/// Every key of `#[retry]`, in the order of their ids.
pub const KEYS: &[Key] = &[
    MAX,
    ATTEMPTS,
    BACKOFF,
    SCHEDULE,
    FACTOR,
    MAX_DELAY,
    JITTER,
    TIMEOUT,
    TIMEOUT_FACTOR,
    DEADLINE,
    RETRY_IF,
    RETRY_ON,
    POLICY,
    CRATE,
];

/// A retry policy with every default applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolved {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first delay.
    pub backoff: Duration,
    /// How delays grow.
    pub schedule: Schedule,
    /// The exponential schedule's growth.
    pub factor: f64,
    /// The longest delay.
    pub max_delay: Duration,
    /// The spread on each delay.
    pub jitter: Jitter,
    /// The limit of the first attempt.
    pub timeout: Option<Duration>,
    /// The limit's growth per attempt.
    pub timeout_factor: f64,
    /// The budget of the whole call.
    pub deadline: Option<Duration>,
}

/// The defaults: 3 retries (4 attempts), 100 ms, exponential by 2, at most
/// 30 s, no jitter, no time limits.
pub const DEFAULTS: Resolved = Resolved {
    max_retries: 3,
    backoff: Duration::from_millis(100),
    schedule: Schedule::Exponential,
    factor: 2.0,
    max_delay: Duration::from_secs(30),
    jitter: Jitter::None,
    timeout: None,
    timeout_factor: 1.0,
    deadline: None,
};

/// What was written for a retry policy, before the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Settings {
    /// `max`.
    pub max: Option<u32>,
    /// `attempts`.
    pub attempts: Option<u32>,
    /// `backoff`.
    pub backoff: Option<Duration>,
    /// `schedule`.
    pub schedule: Option<Schedule>,
    /// `factor`.
    pub factor: Option<f64>,
    /// `max_delay`.
    pub max_delay: Option<Duration>,
    /// `jitter`.
    pub jitter: Option<Jitter>,
    /// `timeout`.
    pub timeout: Option<Duration>,
    /// `timeout_factor`.
    pub timeout_factor: Option<f64>,
    /// `deadline`.
    pub deadline: Option<Duration>,
    /// Which keys were written, code keys included.
    pub written: Written,
}

impl Settings {
    /// Nothing written.
    pub const NEW: Settings = Settings {
        max: None,
        attempts: None,
        backoff: None,
        schedule: None,
        factor: None,
        max_delay: None,
        jitter: None,
        timeout: None,
        timeout_factor: None,
        deadline: None,
        written: Written::NONE,
    };

    /// Records `value` for `key`: what every front end calls, the
    /// attribute's expansion in a `const`.
    ///
    /// # Errors
    /// [`WrongKind`] when the value is not of the key's kind (a front end's
    /// mistake); a count too large for its key is a violation of its own,
    /// returned as `Ok(Some(..))`.
    pub const fn set(
        &mut self,
        key: &'static Key,
        value: Value,
    ) -> Result<Option<Violation>, WrongKind> {
        self.written.mark(key);
        match (key.id, value) {
            (0 | 1, Value::Count(n)) => {
                let Some(n) = count(key, n) else {
                    self.written.refuse(key);
                    return Ok(Some(too_large(key)));
                };
                if key.id == 0 {
                    self.max = Some(n);
                } else {
                    self.attempts = Some(n);
                }
            }
            (2, Value::Duration(d)) => self.backoff = Some(d),
            (3, Value::Choice(i)) => {
                self.schedule = Some(match i {
                    0 => Schedule::Exponential,
                    1 => Schedule::Linear,
                    _ => Schedule::Constant,
                })
            }
            (4, Value::Number(x)) => self.factor = Some(x),
            (5, Value::Duration(d)) => self.max_delay = Some(d),
            (6, Value::Choice(i)) => {
                self.jitter = Some(match i {
                    0 => Jitter::None,
                    1 => Jitter::Full,
                    2 => Jitter::Equal,
                    3 => Jitter::Decorrelated,
                    _ => Jitter::Additive,
                })
            }
            (7, Value::Duration(d)) => self.timeout = Some(d),
            (8, Value::Number(x)) => self.timeout_factor = Some(x),
            (9, Value::Duration(d)) => self.deadline = Some(d),
            (10 | 11 | 13, Value::Code | Value::Text { .. }) | (12, Value::Text { .. }) => {}
            _ => return Err(WrongKind(key.name)),
        }
        Ok(None)
    }

    /// Whether attempts run under a time limit (a `timeout` or a
    /// `deadline`, or a named policy, which may set one).
    pub const fn is_timed(&self) -> bool {
        self.timeout.is_some() || self.deadline.is_some() || self.written.has(&POLICY)
    }

    /// The policy with every default applied. Assumes [`check`] passed.
    pub const fn resolve(&self) -> Resolved {
        let d = DEFAULTS;
        let max_retries = match (self.max, self.attempts) {
            (Some(n), _) => n,
            (None, Some(a)) => a.saturating_sub(1),
            (None, None) => d.max_retries,
        };
        Resolved {
            max_retries,
            backoff: or(self.backoff, d.backoff),
            schedule: match self.schedule {
                Some(s) => s,
                None => d.schedule,
            },
            factor: match self.factor {
                Some(f) => f,
                None => d.factor,
            },
            max_delay: or(self.max_delay, d.max_delay),
            jitter: match self.jitter {
                Some(j) => j,
                None => d.jitter,
            },
            timeout: self.timeout,
            timeout_factor: match self.timeout_factor {
                Some(f) => f,
                None => d.timeout_factor,
            },
            deadline: self.deadline,
        }
    }
}

const fn or(d: Option<Duration>, default: Duration) -> Duration {
    match d {
        Some(d) => d,
        None => default,
    }
}

/// Every rule of a retry policy.
///
/// ```
/// use std::time::Duration;
/// use resilient_spec::{retry, Naming};
///
/// let mut s = retry::Settings::NEW;
/// s.backoff = Some(Duration::from_secs(2));
/// s.max_delay = Some(Duration::from_secs(1));
/// s.written.mark(&retry::BACKOFF);
/// s.written.mark(&retry::MAX_DELAY);
/// let v = retry::check(&s).first().unwrap();
/// assert_eq!(
///     v.message(Naming::Attribute),
///     "`max_delay` (1s) is below `backoff` (2s); the cap must be at least the first delay"
/// );
/// ```
pub const fn check(s: &Settings) -> Report {
    let mut r = Report::new();
    let w = &s.written;
    if let (Some(_), Some(_)) = (s.max, s.attempts) {
        rule::text(
            &mut r,
            &ATTEMPTS,
            "and {o} both set the number of attempts; keep one \
             (`max = N` retries after the first call, `attempts = N + 1` counts it)",
            Some(&MAX),
        );
    }
    rule::at_least(&mut r, &ATTEMPTS, s.attempts, 1);
    rule::duration(&mut r, &BACKOFF, s.backoff);
    rule::number_at_least(&mut r, &FACTOR, s.factor, 1.0);
    if let (Some(_), Some(Schedule::Linear | Schedule::Constant)) = (s.factor, s.schedule) {
        rule::text(
            &mut r,
            &FACTOR,
            "applies only to `schedule = \"exponential\"`",
            None,
        );
    }
    rule::duration(&mut r, &MAX_DELAY, s.max_delay);
    cap_and_backoff(&mut r, s);
    rule::duration(&mut r, &TIMEOUT, s.timeout);
    rule::number_at_least(&mut r, &TIMEOUT_FACTOR, s.timeout_factor, 1.0);
    rule::needs(&mut r, w, &TIMEOUT_FACTOR, &TIMEOUT, "needs {o} to grow");
    rule::duration(&mut r, &DEADLINE, s.deadline);
    if let (Some(t), Some(d)) = (s.timeout, s.deadline) {
        if nanos(t) > nanos(d) {
            r.push(Violation {
                key: &TIMEOUT,
                reason: Reason::DurationAbove {
                    value: t,
                    other: &DEADLINE,
                    other_value: d,
                    text: "so it can never fire",
                },
            });
        }
    }
    if w.has(&POLICY) {
        // A named policy takes every setting from the file.
        let mut i = 0;
        while i < KEYS.len() {
            let k = &KEYS[i];
            if k.in_file && w.has(k) {
                rule::text(
                    &mut r,
                    by_id(k.id),
                    "cannot be set beside {o}, which takes every retry setting from the policy file; \
                     set it in the file, or drop {o}",
                    Some(&POLICY),
                );
            }
            i += 1;
        }
    }
    r
}

/// `max_delay` must be at least `backoff`, defaults included.
const fn cap_and_backoff(r: &mut Report, s: &Settings) {
    let w = &s.written;
    if !(w.usable(&BACKOFF) && w.usable(&MAX_DELAY)) {
        return;
    }
    let backoff = or(s.backoff, DEFAULTS.backoff);
    match s.max_delay {
        Some(cap) if nanos(cap) < nanos(backoff) && !cap.is_zero() => r.push(Violation {
            key: &MAX_DELAY,
            reason: Reason::DurationBelow {
                value: cap,
                other: &BACKOFF,
                other_value: backoff,
                default: s.backoff.is_none(),
                text: "the cap must be at least the first delay",
            },
        }),
        None if nanos(backoff) > nanos(DEFAULTS.max_delay) => r.push(Violation {
            key: &BACKOFF,
            reason: Reason::DurationAboveDefault {
                value: backoff,
                other: &MAX_DELAY,
                default: DEFAULTS.max_delay,
                text: "raise {o} too",
            },
        }),
        _ => {}
    }
}

/// The `'static` key with this id (a const fn cannot borrow from `KEYS`
/// for `'static`).
const fn by_id(id: u8) -> &'static Key {
    match id {
        0 => &MAX,
        1 => &ATTEMPTS,
        2 => &BACKOFF,
        3 => &SCHEDULE,
        4 => &FACTOR,
        5 => &MAX_DELAY,
        6 => &JITTER,
        7 => &TIMEOUT,
        8 => &TIMEOUT_FACTOR,
        9 => &DEADLINE,
        10 => &RETRY_IF,
        11 => &RETRY_ON,
        12 => &POLICY,
        _ => &CRATE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positions() {
        for (i, k) in KEYS.iter().enumerate() {
            assert_eq!(k.id as usize, i, "{}", k.name);
            assert_eq!(by_id(k.id), k);
        }
    }

    #[test]
    fn defaults_pass_and_resolve() {
        assert!(check(&Settings::NEW).is_empty());
        assert_eq!(Settings::NEW.resolve(), DEFAULTS);
    }

    #[test]
    fn zero_retries_are_allowed_and_zero_attempts_are_not() {
        let mut s = Settings::NEW;
        s.set(&MAX, Value::Count(0)).unwrap();
        assert!(check(&s).is_empty());
        assert_eq!(s.resolve().max_retries, 0);
        let mut s = Settings::NEW;
        s.set(&ATTEMPTS, Value::Count(0)).unwrap();
        assert_eq!(
            check(&s).first().unwrap().message(crate::Naming::Builder),
            "`attempts` must be at least 1"
        );
    }

    #[test]
    fn the_largest_count_is_allowed() {
        let mut s = Settings::NEW;
        assert_eq!(s.set(&MAX, Value::Count(u32::MAX as u64)), Ok(None));
        assert!(check(&s).is_empty());
        let v = s
            .set(&MAX, Value::Count(u32::MAX as u64 + 1))
            .unwrap()
            .unwrap();
        assert_eq!(v.to_string(), "`max` is too large (at most 4294967295)");
    }
}
