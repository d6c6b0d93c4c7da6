//! `circuit_breaker`: when to stop calling a failing service, and when to
//! try it again.

use core::time::Duration;

use crate::rule::{self, count, nanos, too_large, Reason, Report, Violation};
use crate::{Key, Kind, Value, Written, WrongKind};

/// What the failure rate of a rate-based breaker is measured over.
///
/// # Default
/// `Window::Calls(100)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Window {
    /// The last `n` calls.
    Calls(u32),
    /// The calls of the last stretch of time, counted in ten buckets, so the
    /// oldest tenth drops out at once.
    Time(Duration),
}

/// The most consecutive failures a threshold may ask for.
pub const MAX_THRESHOLD: u32 = 1_000_000;
/// The most probes one half-open spell may admit.
pub const MAX_PROBES: u32 = 1_000;
/// The longest count window: each call in it takes a byte.
pub const MAX_WINDOW_CALLS: u32 = 10_000;
/// The shortest time window: ten buckets of at least a millisecond.
pub const MIN_TIME_WINDOW: Duration = Duration::from_millis(10);

/// `threshold = N`: consecutive failures that open the breaker.
pub const THRESHOLD: Key = key(0, "threshold", Kind::Count, true, "5");
/// `cooldown = "60s"`: open this long before a probe.
pub const COOLDOWN: Key = key(1, "cooldown", Kind::Duration, true, "\"60s\"");
/// `half_open = N`: probes admitted after the cooldown.
pub const HALF_OPEN: Key = key(2, "half_open", Kind::Count, true, "1");
/// `close_after = N`: probe successes that close it.
pub const CLOSE_AFTER: Key = key(3, "close_after", Kind::Count, true, "1");
/// `failure_rate = 0.5`: open on a share of failures.
pub const FAILURE_RATE: Key = key(4, "failure_rate", Kind::Number, true, "0.5");
/// `window = 100` or `"30s"`.
pub const WINDOW: Key = key(5, "window", Kind::CallsOrDuration, true, "100");
/// `min_calls = N`: calls before the rate counts.
pub const MIN_CALLS: Key = key(6, "min_calls", Kind::Count, true, "10");
/// `slow_call = "2s"`: slower calls are slow.
pub const SLOW_CALL: Key = key(7, "slow_call", Kind::Duration, true, "\"2s\"");
/// `slow_rate = 0.8`: open on a share of slow calls.
pub const SLOW_RATE: Key = key(8, "slow_rate", Kind::Number, true, "0.8");
/// `max_cooldown = "10m"`: the cooldown doubles per failed probe up to this.
pub const MAX_COOLDOWN: Key = key(9, "max_cooldown", Kind::Duration, true, "\"10m\"");
/// `cooldown_jitter = 0.2`: each cooldown × (1 ± 0.2).
pub const COOLDOWN_JITTER: Key = key(10, "cooldown_jitter", Kind::Number, true, "0.2");
/// `record_if = path`: which errors count.
pub const RECORD_IF: Key = key(11, "record_if", Kind::Path, false, "is_outage");
/// `name = "ocr"`: a breaker shared by name.
pub const NAME: Key = key(12, "name", Kind::Text, false, "\"ocr\"");
/// `key = expr`: one breaker per value.
pub const KEY: Key = key(13, "key", Kind::Expr, false, "host");
/// `max_keys = N`: the most per-key breakers kept.
pub const MAX_KEYS: Key = key(14, "max_keys", Kind::Count, false, "1024");
/// `crate = "path"`: where the runtime is.
pub const CRATE: Key = key(
    15,
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

/// Every key of `#[circuit_breaker]`, in the order of their ids.
pub const KEYS: &[Key] = &[
    THRESHOLD,
    COOLDOWN,
    HALF_OPEN,
    CLOSE_AFTER,
    FAILURE_RATE,
    WINDOW,
    MIN_CALLS,
    SLOW_CALL,
    SLOW_RATE,
    MAX_COOLDOWN,
    COOLDOWN_JITTER,
    RECORD_IF,
    NAME,
    KEY,
    MAX_KEYS,
    CRATE,
];

/// A share, held exactly as parts per billion: `0.28` of 25 calls is
/// exactly 7, although `0.28 × 25` is `7.000000000000001` in floating
/// point. A rate is read to nine decimal places, so `2.0 / 3.0` is two
/// calls out of three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Share(u32);

impl Share {
    const ONE: u64 = 1_000_000_000;

    /// `x` in [0, 1], to the nearest part per billion.
    pub const fn from_f64(x: f64) -> Share {
        let ppb = x * Share::ONE as f64 + 0.5;
        Share(if ppb >= Share::ONE as f64 {
            Share::ONE as u32
        } else if ppb > 0.0 {
            ppb as u32
        } else {
            0
        })
    }

    /// Whether `part` out of `whole` reaches this share: at least the
    /// share less half a part per billion, the rounding of its last digit.
    ///
    /// ```
    /// use resilient_spec::circuit_breaker::Share;
    ///
    /// assert!(Share::from_f64(0.28).reached(7, 25));
    /// assert!(!Share::from_f64(0.28).reached(6, 25));
    /// assert!(Share::from_f64(2.0 / 3.0).reached(2, 3));
    /// ```
    pub const fn reached(self, part: u64, whole: u64) -> bool {
        whole > 0
            && 2 * (part as u128) * (Share::ONE as u128)
                >= (2 * self.0 as u128).saturating_sub(1) * (whole as u128)
    }

    /// The share as a number.
    pub const fn as_f64(self) -> f64 {
        self.0 as f64 / Share::ONE as f64
    }
}

/// A breaker policy with every default applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolved {
    /// Consecutive failures that open it; `None` in rate mode.
    pub threshold: Option<u32>,
    /// The failure rate that opens it, in rate mode.
    pub failure_rate: Option<Share>,
    /// The slow-call rate that opens it, in rate mode.
    pub slow_rate: Option<Share>,
    /// What the rates are measured over.
    pub window: Window,
    /// Calls the window must hold before a rate counts.
    pub min_calls: u32,
    /// Open this long before the first probe.
    pub cooldown: Duration,
    /// The cooldown's growth cap; `None`: no growth.
    pub max_cooldown: Option<Duration>,
    /// Each cooldown × (1 ± this).
    pub cooldown_jitter: f64,
    /// Probes admitted per half-open spell.
    pub half_open: u32,
    /// Probe successes that close it.
    pub close_after: u32,
    /// Calls slower than this are slow.
    pub slow_call: Option<Duration>,
    /// With `key`: the most breakers kept.
    pub max_keys: u32,
}

/// The defaults: 5 consecutive failures, 60 s open, one probe, no growth,
/// no jitter; in rate mode, the last 100 calls, at least 10 of them.
pub const DEFAULTS: Resolved = Resolved {
    threshold: Some(5),
    failure_rate: None,
    slow_rate: None,
    window: Window::Calls(100),
    min_calls: 10,
    cooldown: Duration::from_secs(60),
    max_cooldown: None,
    cooldown_jitter: 0.0,
    half_open: 1,
    close_after: 1,
    slow_call: None,
    max_keys: 1024,
};

/// What was written for a breaker, before the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Settings {
    /// `threshold`.
    pub threshold: Option<u32>,
    /// `cooldown`.
    pub cooldown: Option<Duration>,
    /// `half_open`.
    pub half_open: Option<u32>,
    /// `close_after`.
    pub close_after: Option<u32>,
    /// `failure_rate`.
    pub failure_rate: Option<f64>,
    /// `window`.
    pub window: Option<Window>,
    /// `min_calls`.
    pub min_calls: Option<u32>,
    /// `slow_call`.
    pub slow_call: Option<Duration>,
    /// `slow_rate`.
    pub slow_rate: Option<f64>,
    /// `max_cooldown`.
    pub max_cooldown: Option<Duration>,
    /// `cooldown_jitter`.
    pub cooldown_jitter: Option<f64>,
    /// `max_keys`.
    pub max_keys: Option<u32>,
    /// `name` was written and is blank.
    pub blank_name: bool,
    /// Which keys were written, code keys included.
    pub written: Written,
}

impl Settings {
    /// Nothing written.
    pub const NEW: Settings = Settings {
        threshold: None,
        cooldown: None,
        half_open: None,
        close_after: None,
        failure_rate: None,
        window: None,
        min_calls: None,
        slow_call: None,
        slow_rate: None,
        max_cooldown: None,
        cooldown_jitter: None,
        max_keys: None,
        blank_name: false,
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
        if let Value::Count(n) = value {
            if count(key, n).is_none() {
                self.written.refuse(key);
                return Ok(Some(too_large(key)));
            }
        }
        let n = match value {
            Value::Count(n) if n <= u32::MAX as u64 => n as u32,
            _ => 0,
        };
        match (key.id, value) {
            (0, Value::Count(_)) => self.threshold = Some(n),
            (1, Value::Duration(d)) => self.cooldown = Some(d),
            (2, Value::Count(_)) => self.half_open = Some(n),
            (3, Value::Count(_)) => self.close_after = Some(n),
            (4, Value::Number(x)) => self.failure_rate = Some(x),
            (5, Value::Count(_)) => self.window = Some(Window::Calls(n)),
            (5, Value::Duration(d)) => self.window = Some(Window::Time(d)),
            (6, Value::Count(_)) => self.min_calls = Some(n),
            (7, Value::Duration(d)) => self.slow_call = Some(d),
            (8, Value::Number(x)) => self.slow_rate = Some(x),
            (9, Value::Duration(d)) => self.max_cooldown = Some(d),
            (10, Value::Number(x)) => self.cooldown_jitter = Some(x),
            (12, Value::Text { blank }) => self.blank_name = blank,
            (14, Value::Count(_)) => self.max_keys = Some(n),
            (11 | 13 | 15, Value::Code | Value::Text { .. }) => {}
            _ => return Err(WrongKind(key.name)),
        }
        Ok(None)
    }

    /// The consecutive failures that open it, or `None` in rate mode.
    pub const fn threshold_or_default(&self) -> Option<u32> {
        match (self.threshold, self.failure_rate) {
            (Some(n), _) => Some(n),
            (None, None) => DEFAULTS.threshold,
            (None, Some(_)) => None,
        }
    }

    /// The policy with every default applied. Assumes [`check`] passed.
    pub const fn resolve(&self) -> Resolved {
        let d = DEFAULTS;
        let window = match self.window {
            Some(w) => w,
            None => d.window,
        };
        let min_calls = match (self.min_calls, window) {
            (Some(n), _) => n,
            (None, Window::Calls(n)) if n < d.min_calls => n,
            (None, _) => d.min_calls,
        };
        Resolved {
            threshold: self.threshold_or_default(),
            failure_rate: match self.failure_rate {
                Some(x) => Some(Share::from_f64(x)),
                None => None,
            },
            slow_rate: match self.slow_rate {
                Some(x) => Some(Share::from_f64(x)),
                None => None,
            },
            window,
            min_calls,
            cooldown: match self.cooldown {
                Some(c) => c,
                None => d.cooldown,
            },
            max_cooldown: self.max_cooldown,
            cooldown_jitter: match self.cooldown_jitter {
                Some(j) => j,
                None => d.cooldown_jitter,
            },
            half_open: match self.half_open {
                Some(n) => n,
                None => d.half_open,
            },
            close_after: match self.close_after {
                Some(n) => n,
                None => d.close_after,
            },
            slow_call: self.slow_call,
            max_keys: match self.max_keys {
                Some(n) => n,
                None => d.max_keys,
            },
        }
    }
}

/// Every rule of a breaker policy.
///
/// ```
/// use resilient_spec::{circuit_breaker as cb, Naming};
///
/// let mut s = cb::Settings::NEW;
/// s.close_after = Some(3);
/// s.written.mark(&cb::CLOSE_AFTER);
/// assert_eq!(
///     cb::check(&s).first().unwrap().message(Naming::Builder),
///     "`close_after` (3) is more than `half_open` (1, the default): \
///      only that many probes run, so the breaker could never close"
/// );
/// ```
pub const fn check(s: &Settings) -> Report {
    let mut r = Report::new();
    let w = &s.written;
    counts(&mut r, s);
    if let (true, true) = (w.has(&THRESHOLD), w.has(&FAILURE_RATE)) {
        rule::text(
            &mut r,
            &FAILURE_RATE,
            "and {o} are two ways to open the breaker; keep one: \
             `threshold = N` consecutive failures, or `failure_rate = 0.5` over a `window`",
            Some(&THRESHOLD),
        );
    }
    rule::share(&mut r, &FAILURE_RATE, s.failure_rate, false);
    rule::share(&mut r, &SLOW_RATE, s.slow_rate, false);
    rule::share(&mut r, &COOLDOWN_JITTER, s.cooldown_jitter, true);
    window(&mut r, s);
    if !w.has(&FAILURE_RATE) {
        let rate_keys = [&WINDOW, &MIN_CALLS, &SLOW_RATE];
        let mut i = 0;
        while i < rate_keys.len() {
            if w.has(rate_keys[i]) {
                rule::text(
                    &mut r,
                    rate_keys[i],
                    "applies to a rate-based breaker; add `failure_rate = 0.5` (or another rate)",
                    None,
                );
            }
            i += 1;
        }
    }
    rule::needs(
        &mut r,
        w,
        &SLOW_RATE,
        &SLOW_CALL,
        "needs {o}, the duration above which a call is slow",
    );
    durations(&mut r, s);
    rule::needs(
        &mut r,
        w,
        &MAX_KEYS,
        &KEY,
        "bounds the breakers of a `key = ...`; add a {o}",
    );
    if let (true, true) = (w.has(&KEY), w.has(&NAME)) {
        rule::text(
            &mut r,
            &KEY,
            "cannot be combined with {o}: {o} shares one breaker between functions, \
             {s} keeps one breaker per value within this function; keep one",
            Some(&NAME),
        );
    }
    if s.blank_name {
        r.push(Violation {
            key: &NAME,
            reason: Reason::Empty,
        });
    }
    r
}

/// The counts: at least 1, at most their limits, and probes consistent.
const fn counts(r: &mut Report, s: &Settings) {
    rule::at_least(r, &THRESHOLD, s.threshold, 1);
    at_most(
        r,
        &THRESHOLD,
        s.threshold,
        MAX_THRESHOLD,
        "consecutive failures",
    );
    rule::at_least(r, &HALF_OPEN, s.half_open, 1);
    at_most(r, &HALF_OPEN, s.half_open, MAX_PROBES, "probes");
    rule::at_least(r, &CLOSE_AFTER, s.close_after, 1);
    rule::at_least(r, &MIN_CALLS, s.min_calls, 1);
    rule::at_least(r, &MAX_KEYS, s.max_keys, 1);
    let w = &s.written;
    if let (Some(c), true) = (s.close_after, w.usable(&HALF_OPEN)) {
        let (half_open, default) = match s.half_open {
            Some(h) => (h, false),
            None => (DEFAULTS.half_open, true),
        };
        if c > half_open && half_open > 0 {
            r.push(Violation {
                key: &CLOSE_AFTER,
                reason: Reason::CountAbove {
                    value: c as u64,
                    other: &HALF_OPEN,
                    other_value: half_open as u64,
                    default,
                    text: "only that many probes run, so the breaker could never close",
                },
            });
        }
    }
    if let (Some(m), true, true) = (s.min_calls, w.usable(&WINDOW), w.has(&FAILURE_RATE)) {
        let (window, default) = match s.window {
            Some(Window::Calls(n)) => (n, false),
            Some(Window::Time(_)) => (u32::MAX, false),
            None => match DEFAULTS.window {
                Window::Calls(n) => (n, true),
                Window::Time(_) => (u32::MAX, true),
            },
        };
        if m > window && window > 0 {
            r.push(Violation {
                key: &MIN_CALLS,
                reason: Reason::CountAbove {
                    value: m as u64,
                    other: &WINDOW,
                    other_value: window as u64,
                    default,
                    text:
                        "the window never holds that many calls, so the breaker could never open; \
                           lower it or set a larger {o}",
                },
            });
        }
    }
}

const fn at_most(r: &mut Report, key: &'static Key, n: Option<u32>, max: u32, unit: &'static str) {
    if let Some(n) = n {
        if n > max {
            r.push(Violation {
                key,
                reason: Reason::AtMost {
                    max: max as u64,
                    found: n as u64,
                    unit,
                    hint: "",
                },
            });
        }
    }
}

const fn window(r: &mut Report, s: &Settings) {
    match s.window {
        Some(Window::Calls(0)) => rule::text(r, &WINDOW, "must be at least 1 call", None),
        Some(Window::Calls(n)) if n > MAX_WINDOW_CALLS => r.push(Violation {
            key: &WINDOW,
            reason: Reason::AtMost {
                max: MAX_WINDOW_CALLS as u64,
                found: n as u64,
                unit: "calls",
                hint: "for more, use a time window such as `window = \"30s\"`",
            },
        }),
        Some(Window::Time(d)) if !d.is_zero() && nanos(d) < nanos(MIN_TIME_WINDOW) => {
            r.push(Violation {
                key: &WINDOW,
                reason: Reason::TooShort(MIN_TIME_WINDOW),
            })
        }
        Some(Window::Time(d)) => rule::duration(r, &WINDOW, Some(d)),
        _ => {}
    }
}

const fn durations(r: &mut Report, s: &Settings) {
    rule::duration(r, &COOLDOWN, s.cooldown);
    rule::duration(r, &MAX_COOLDOWN, s.max_cooldown);
    rule::duration(r, &SLOW_CALL, s.slow_call);
    if let (Some(cap), true) = (s.max_cooldown, s.written.usable(&COOLDOWN)) {
        let (cooldown, default) = match s.cooldown {
            Some(c) => (c, false),
            None => (DEFAULTS.cooldown, true),
        };
        if nanos(cap) < nanos(cooldown) && !cap.is_zero() {
            r.push(Violation {
                key: &MAX_COOLDOWN,
                reason: Reason::DurationBelow {
                    value: cap,
                    other: &COOLDOWN,
                    other_value: cooldown,
                    default,
                    text: "the cap must be at least the first cooldown",
                },
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positions() {
        for (i, k) in KEYS.iter().enumerate() {
            assert_eq!(k.id as usize, i, "{}", k.name);
        }
    }

    #[test]
    fn defaults_pass_and_resolve() {
        assert!(check(&Settings::NEW).is_empty());
        assert_eq!(Settings::NEW.resolve(), DEFAULTS);
    }

    #[test]
    fn shares_are_exact() {
        // Every k/n up to 100 calls reaches itself and not one less.
        for n in 1..=100u64 {
            for k in 1..=n {
                let share = Share::from_f64(k as f64 / n as f64);
                assert!(share.reached(k, n), "{k}/{n}");
                assert!(!share.reached(k - 1, n), "{}/{n}", k - 1);
            }
        }
        // The rates written as decimals that floating point misses.
        for (rate, k, n) in [
            (0.28, 7, 25),
            (0.07, 7, 100),
            (0.55, 55, 100),
            (0.56, 56, 100),
        ] {
            assert!(Share::from_f64(rate).reached(k, n), "{rate}");
        }
    }
}
