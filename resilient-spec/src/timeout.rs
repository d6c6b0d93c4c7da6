//! `timeout`: a limit on one call.

use core::time::Duration;

use crate::rule::{self, Report};
use crate::{Key, Kind, Written};

/// `duration = "30s"`, or the positional `#[timeout("30s")]`.
pub const DURATION: Key = Key {
    id: 0,
    name: "duration",
    field: "duration",
    kind: Kind::Duration,
    in_file: true,
    example: "\"30s\"",
};
/// `crate = "path"`: where the runtime is.
pub const CRATE: Key = Key {
    id: 1,
    name: "crate",
    field: "crate",
    kind: Kind::Text,
    in_file: false,
    example: "\"my_crate::resilient_async\"",
};

/// Every key of `#[timeout]`.
pub const KEYS: &[Key] = &[DURATION, CRATE];

/// What was written for a timeout.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Settings {
    /// The limit.
    pub duration: Option<Duration>,
    /// Which keys were written.
    pub written: Written,
}

/// Every rule of a timeout: a limit above zero that fits in `u64`
/// nanoseconds.
///
/// ```
/// use std::time::Duration;
/// use resilient_spec::timeout;
///
/// let s = timeout::Settings { duration: Some(Duration::ZERO), ..Default::default() };
/// assert_eq!(timeout::check(&s).first().unwrap().to_string(), "`duration` must be greater than zero");
/// ```
pub const fn check(s: &Settings) -> Report {
    let mut r = Report::new();
    rule::duration(&mut r, &DURATION, s.duration);
    r
}
