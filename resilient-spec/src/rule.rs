//! What a rule says when a setting breaks it, and the checks most keys
//! share.

use core::fmt::{self, Write as _};
use core::time::Duration;

use crate::{Key, Written};

/// Whose words a message uses for key names: the attribute's and the
/// file's keys (`max`), or the builder's setters (`max_retries`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// `#[retry(max = 3)]`.
    Attribute,
    /// `RetryConfig::new().max_retries(3)`.
    Builder,
    /// `[ocr.retry] max = 3`.
    File,
}

/// Why a value was refused, after its key's name.
///
/// Texts may name the subject key as `{s}` and another key as `{o}`; each
/// front end fills in its own spelling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reason {
    /// `must be at least {n}`.
    AtLeast(u64),
    /// `is too large (at most {n})`.
    TooLarge(u64),
    /// `is at most {max} {unit}, found {found}{hint}`.
    AtMost {
        /// The limit.
        max: u64,
        /// The value given.
        found: u64,
        /// What is counted, plural: `probes`.
        unit: &'static str,
        /// What to do instead, after `; `, or empty.
        hint: &'static str,
    },
    /// `must be greater than zero`.
    Zero,
    /// `must be at least {min:?}`.
    TooShort(Duration),
    /// `must be at least {min:.1}, found {found}`.
    NumberBelow {
        /// The smallest value allowed.
        min: f64,
        /// The value given.
        found: f64,
    },
    /// A share: in (0, 1], or in [0, 1) when `zero_ok`.
    Share {
        /// The value given.
        found: f64,
        /// Whether 0 is allowed (and 1 is not).
        zero_ok: bool,
    },
    /// `must be a finite number, at least 0, found {found}`.
    NotAPrice(f64),
    /// `must be from 0 to 1, found {found}`.
    Fraction(f64),
    /// `must not be empty`.
    Empty,
    /// A fixed text; `{o}` is `other`.
    Text {
        /// The words.
        text: &'static str,
        /// The key `{o}` names.
        other: Option<&'static Key>,
    },
    /// `({value:?}) is below {o} ({other_value:?}[, the default]); {text}`.
    DurationBelow {
        /// The value given.
        value: Duration,
        /// The key compared with.
        other: &'static Key,
        /// Its value.
        other_value: Duration,
        /// Whether that value is its default.
        default: bool,
        /// Why it matters.
        text: &'static str,
    },
    /// `({value:?}) is above the default {o} ({default:?}); {text}`.
    DurationAboveDefault {
        /// The value given.
        value: Duration,
        /// The key compared with, not written.
        other: &'static Key,
        /// Its default.
        default: Duration,
        /// What to do.
        text: &'static str,
    },
    /// `({value:?}) is longer than {o} ({other_value:?}), {text}`.
    DurationAbove {
        /// The value given.
        value: Duration,
        /// The key compared with.
        other: &'static Key,
        /// Its value.
        other_value: Duration,
        /// Why it matters.
        text: &'static str,
    },
    /// `({value}) is more than {o} ({other_value}[, the default]): {text}`.
    CountAbove {
        /// The value given.
        value: u64,
        /// The key compared with.
        other: &'static Key,
        /// Its value.
        other_value: u64,
        /// Whether that value is its default.
        default: bool,
        /// Why it matters.
        text: &'static str,
    },
}

/// A setting that breaks a rule: the key to blame, and why.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Violation {
    /// The key the message is about, where a front end reports it.
    pub key: &'static Key,
    /// Why.
    pub reason: Reason,
}

impl Violation {
    /// The message after the key: `must be at least 1`.
    pub fn reason(&self, naming: Naming) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_reason(&mut out, naming);
        out
    }

    /// The whole message with the key as `naming` spells it:
    /// `` `attempts` must be at least 1 ``.
    pub fn message(&self, naming: Naming) -> String {
        format!("`{}` {}", self.key.named(naming), self.reason(naming))
    }

    fn write_reason(&self, f: &mut String, naming: Naming) -> fmt::Result {
        let name = |k: &Key| format!("`{}`", k.named(naming));
        let fill = |text: &str, other: Option<&Key>| {
            let text = text.replace("{s}", &name(self.key));
            match other {
                Some(o) => text.replace("{o}", &name(o)),
                None => text,
            }
        };
        let default = |d: bool| if d { ", the default" } else { "" };
        match self.reason {
            Reason::AtLeast(n) => write!(f, "must be at least {n}"),
            Reason::TooLarge(n) => write!(f, "is too large (at most {n})"),
            Reason::AtMost {
                max,
                found,
                unit,
                hint,
            } => {
                write!(f, "is at most {max} {unit}, found {found}")?;
                if !hint.is_empty() {
                    write!(f, "; {hint}")?;
                }
                Ok(())
            }
            Reason::Zero => f.write_str("must be greater than zero"),
            Reason::TooShort(min) => write!(f, "must be at least {min:?}"),
            Reason::NumberBelow { min, found } => {
                write!(f, "must be at least {min:.1}, found {found}")
            }
            Reason::Share { found, zero_ok } => {
                let range = if zero_ok {
                    "from 0 up to (not including) 1"
                } else {
                    "above 0 and at most 1"
                };
                write!(f, "must be {range}, found {found:?}")?;
                if !zero_ok && (2.0..=100.0).contains(&found) && found.fract() == 0.0 {
                    write!(f, " (for {found}%, write {})", found / 100.0)?;
                }
                Ok(())
            }
            Reason::NotAPrice(found) => {
                write!(f, "must be a finite number, at least 0, found {found}")
            }
            Reason::Fraction(found) => write!(f, "must be from 0 to 1, found {found}"),
            Reason::Empty => f.write_str("must not be empty"),
            Reason::Text { text, other } => f.write_str(&fill(text, other)),
            Reason::DurationBelow {
                value,
                other,
                other_value,
                default: d,
                text,
            } => write!(
                f,
                "({value:?}) is below {} ({other_value:?}{}); {}",
                name(other),
                default(d),
                fill(text, Some(other))
            ),
            Reason::DurationAboveDefault {
                value,
                other,
                default: d,
                text,
            } => write!(
                f,
                "({value:?}) is above the default {} ({d:?}); {}",
                name(other),
                fill(text, Some(other))
            ),
            Reason::DurationAbove {
                value,
                other,
                other_value,
                text,
            } => write!(
                f,
                "({value:?}) is longer than {} ({other_value:?}), {}",
                name(other),
                fill(text, Some(other))
            ),
            Reason::CountAbove {
                value,
                other,
                other_value,
                default: d,
                text,
            } => write!(
                f,
                "({value}) is more than {} ({other_value}{}): {}",
                name(other),
                default(d),
                fill(text, Some(other))
            ),
        }
    }
}

impl fmt::Display for Violation {
    /// The message in the attributes' words.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Naming::Attribute))
    }
}

/// Every violation of a capability's settings, in the order of its keys.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    items: [Option<Violation>; Report::CAPACITY],
    len: usize,
}

impl Default for Report {
    fn default() -> Self {
        Report::new()
    }
}

impl Report {
    /// More than any capability can have at once.
    const CAPACITY: usize = 24;

    /// No violation.
    pub const fn new() -> Report {
        Report {
            items: [None; Report::CAPACITY],
            len: 0,
        }
    }

    /// Adds `v`.
    pub const fn push(&mut self, v: Violation) {
        if self.len < Report::CAPACITY {
            self.items[self.len] = Some(v);
            self.len += 1;
        }
    }

    /// Whether the settings break no rule.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first violation: what a builder reports.
    pub const fn first(&self) -> Option<Violation> {
        self.items[0]
    }

    /// Every violation.
    pub fn iter(&self) -> impl Iterator<Item = &Violation> {
        self.items[..self.len].iter().flatten()
    }
}

// ---- rules most keys share ----------------------------------------------

/// A duration must be above zero; any length is allowed (the engines
/// saturate: a deadline too far off to represent is none).
pub(crate) const fn duration(r: &mut Report, key: &'static Key, d: Option<Duration>) {
    if let Some(d) = d {
        if d.is_zero() {
            r.push(Violation {
                key,
                reason: Reason::Zero,
            });
        }
    }
}

/// A count must be at least `min`.
pub(crate) const fn at_least(r: &mut Report, key: &'static Key, n: Option<u32>, min: u32) {
    if let Some(n) = n {
        if n < min {
            r.push(Violation {
                key,
                reason: Reason::AtLeast(min as u64),
            });
        }
    }
}

/// A number must be finite and at least `min`.
pub(crate) const fn number_at_least(r: &mut Report, key: &'static Key, x: Option<f64>, min: f64) {
    if let Some(x) = x {
        if !(x.is_finite() && x >= min) {
            r.push(Violation {
                key,
                reason: Reason::NumberBelow { min, found: x },
            });
        }
    }
}

/// A share: in (0, 1], or in [0, 1) when `zero_ok`.
pub(crate) const fn share(r: &mut Report, key: &'static Key, x: Option<f64>, zero_ok: bool) {
    if let Some(x) = x {
        let ok = if zero_ok {
            x >= 0.0 && x < 1.0
        } else {
            x > 0.0 && x <= 1.0
        };
        if !ok {
            r.push(Violation {
                key,
                reason: Reason::Share { found: x, zero_ok },
            });
        }
    }
}

/// `text` about `key`, naming `other`.
pub(crate) const fn text(
    r: &mut Report,
    key: &'static Key,
    text: &'static str,
    other: Option<&'static Key>,
) {
    r.push(Violation {
        key,
        reason: Reason::Text { text, other },
    });
}

/// A key that needs `other` written (and not refused).
pub(crate) const fn needs(
    r: &mut Report,
    w: &Written,
    key: &'static Key,
    other: &'static Key,
    why: &'static str,
) {
    if w.has(key) && w.usable(key) && !w.has(other) {
        text(r, key, why, Some(other));
    }
}

/// Nanoseconds, saturating: durations compared in `const fn`.
pub(crate) const fn nanos(d: Duration) -> u128 {
    d.as_nanos()
}

/// A count as the `u32` its key holds, or `None` when it is larger.
pub(crate) const fn count(_key: &Key, n: u64) -> Option<u32> {
    if n > u32::MAX as u64 {
        None
    } else {
        Some(n as u32)
    }
}

/// A count larger than its key holds.
pub(crate) const fn too_large(key: &'static Key) -> Violation {
    Violation {
        key,
        reason: Reason::TooLarge(u32::MAX as u64),
    }
}
