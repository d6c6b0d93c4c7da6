//! The settings of every capability of `resilient-async`, written once.
//!
//! Each capability (retry, timeout, circuit breaker, fallback, self-heal)
//! has a module here with its keys, its defaults, its limits and the rules
//! across keys. Three front ends apply them alike and differ only in where
//! they report a refusal:
//!
//! - the attributes (`#[retry(max = 3)]`), at the offending token;
//! - the builders (`RetryConfig::new().max_retries(3).build()`), naming the
//!   field;
//! - policy files (`[ocr.retry] max = 3`), with the dotted key and line.
//!
//! A capability's `Settings` records what was written; its `check` returns
//! every [`Violation`], and `resolve` applies the defaults. Both are
//! `const fn`, so a policy can be checked and built at compile time.
//!
//! This crate is an implementation detail of `resilient-async`, published
//! so that its runtime and its macros can share it; depend on
//! `resilient-async` instead.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

#[doc(hidden)]
pub mod cases;
pub mod circuit_breaker;
pub mod fallback;
pub mod heal;
pub mod retry;
pub mod timeout;

mod duration;
mod rule;

use core::fmt;
use core::time::Duration;

pub use duration::{parse_duration, seconds, DurationError};
pub use rule::{Naming, Reason, Report, Violation};

/// How a key's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A whole number, `max = 3`.
    Count,
    /// A duration: a string such as `"30s"`, or a number of seconds.
    Duration,
    /// A number, `factor = 2.0`.
    Number,
    /// One of `names`. `bare` is the choice a key written alone means
    /// (`jitter` alone is `jitter = "full"`).
    Choice {
        /// The names, in the order of the capability's enum.
        names: &'static [&'static str],
        /// The choice of the key written without a value.
        bare: Option<u8>,
    },
    /// A number of calls or a duration, `window = 100` or `window = "30s"`.
    CallsOrDuration,
    /// A path to a function: attributes only, checked by rustc.
    Path,
    /// An expression: attributes only, checked by rustc.
    Expr,
    /// A string that must not be empty.
    Text,
}

/// One setting of a capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// Its place in the capability's `KEYS`.
    pub id: u8,
    /// The name in an attribute and in a policy file.
    pub name: &'static str,
    /// The name of the builder's setter.
    pub field: &'static str,
    /// How its value is written.
    pub kind: Kind,
    /// Whether a policy file may set it (code such as a path may not).
    pub in_file: bool,
    /// A value as written, for messages: `3`, `"30s"`, `0.5`.
    pub example: &'static str,
}

impl Key {
    /// The key's name as `naming` spells it.
    pub const fn named(&self, naming: Naming) -> &'static str {
        match naming {
            Naming::Builder => self.field,
            Naming::Attribute | Naming::File => self.name,
        }
    }

    /// The bit of this key in a `Settings`' `written` and `refused` sets.
    pub const fn bit(&self) -> u32 {
        1 << self.id
    }
}

/// A value as a front end read it, before the rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A whole number.
    Count(u64),
    /// A duration.
    Duration(Duration),
    /// A number.
    Number(f64),
    /// The index of a choice in its key's names.
    Choice(u8),
    /// A string, and whether it is empty (blank).
    Text {
        /// Whether it holds nothing but white space.
        blank: bool,
    },
    /// A path or an expression, which rustc checks.
    Code,
}

/// A value of the wrong kind for its key: a front end's bug, never the
/// user's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongKind(pub &'static str);

impl fmt::Display for WrongKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a value of the wrong kind for `{}`", self.0)
    }
}

/// Finds `name` among `keys`, or the closest key for a did-you-mean.
///
/// ```
/// use resilient_spec::{find_key, retry};
///
/// assert_eq!(find_key(retry::KEYS, "backoff").unwrap().name, "backoff");
/// assert_eq!(find_key(retry::KEYS, "maxx").unwrap_err(), Some("max"));
/// assert_eq!(find_key(retry::KEYS, "speed").unwrap_err(), None);
/// ```
///
/// # Errors
/// The closest key's name when `name` is none of them and one is close.
pub fn find_key(keys: &'static [Key], name: &str) -> Result<&'static Key, Option<&'static str>> {
    if let Some(k) = keys.iter().find(|k| k.name == name) {
        return Ok(k);
    }
    Err(did_you_mean(keys.iter().map(|k| k.name), name))
}

/// The candidate closest to `name`, when it is close enough to be a typo.
pub fn did_you_mean<'a>(candidates: impl Iterator<Item = &'a str>, name: &str) -> Option<&'a str> {
    let (distance, best) = candidates
        .map(|k| (strsim::damerau_levenshtein(k, name), k))
        .min_by_key(|(d, _)| *d)?;
    (distance <= 2 || (distance <= 3 && name.len() >= 7)).then_some(best)
}

/// The message for a key this capability does not have, with a
/// did-you-mean and the list of the keys it has.
///
/// ```
/// use resilient_spec::{retry, unknown_key};
///
/// let m = unknown_key("#[retry]", retry::KEYS, "maxx", |_| true);
/// assert!(m.starts_with("unknown argument `maxx` for `#[retry]`; did you mean `max`?"));
/// ```
pub fn unknown_key(
    owner: &str,
    keys: &'static [Key],
    name: &str,
    listed: impl Fn(&Key) -> bool,
) -> String {
    let listed: Vec<&Key> = keys.iter().filter(|k| listed(k)).collect();
    let mut message = format!("unknown argument `{name}` for `{owner}`");
    if let Some(best) = did_you_mean(listed.iter().map(|k| k.name), name) {
        message.push_str(&format!("; did you mean `{best}`?"));
    }
    let names: Vec<String> = listed.iter().map(|k| format!("`{}`", k.name)).collect();
    message.push_str(&format!(" (expected one of: {})", names.join(", ")));
    message
}

/// The message for a choice that is none of `names`.
pub fn unknown_choice(key: &Key, found: &str) -> String {
    match key.kind {
        Kind::Choice { names, .. } => format!(
            "unknown `{}` \"{found}\"; expected one of: {}",
            key.name,
            quoted(names)
        ),
        _ => format!("`{}` takes no choice", key.name),
    }
}

/// `"a", "b", "c"`.
pub fn quoted(names: &[&str]) -> String {
    let names: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    names.join(", ")
}

/// A `Settings` record of which keys were written, and which of those
/// were refused before the rules (a value that did not parse): a rule
/// across keys stays quiet about a key already reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Written {
    /// Keys written, one bit each ([`Key::bit`]).
    pub keys: u32,
    /// Keys written whose value was refused.
    pub refused: u32,
}

impl Written {
    /// Nothing written.
    pub const NONE: Written = Written {
        keys: 0,
        refused: 0,
    };

    /// Whether `key` was written.
    pub const fn has(&self, key: &Key) -> bool {
        self.keys & key.bit() != 0
    }

    /// Whether `key` was written and refused.
    pub const fn refused(&self, key: &Key) -> bool {
        self.refused & key.bit() != 0
    }

    /// Whether `key` holds a usable value or its default: not refused.
    pub const fn usable(&self, key: &Key) -> bool {
        !self.refused(key)
    }

    /// Marks `key` written.
    pub const fn mark(&mut self, key: &Key) {
        self.keys |= key.bit();
    }

    /// Marks `key` written and refused.
    pub const fn refuse(&mut self, key: &Key) {
        self.keys |= key.bit();
        self.refused |= key.bit();
    }
}
