//! Durations as written: `"250ms"`, `"30s"`, `"1h 30m"`, or seconds.

use core::fmt;
use core::time::Duration;

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    /// Nothing but white space.
    Empty,
    /// A number without a unit, `"30"`.
    NoUnit(String),
    /// A unit that is none of ours, `"60x"`.
    UnknownUnit {
        /// The whole text.
        text: String,
        /// The unit found.
        unit: String,
    },
    /// Longer than a `Duration` holds.
    TooLong(String),
    /// Anything else.
    Invalid(String),
}

const UNITS: &str = "write a number and a unit: ms, s, m, h (such as \"500ms\" or \"1m 30s\")";

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::Empty => {
                f.write_str("it is empty; write a number and a unit, such as \"30s\"")
            }
            DurationError::NoUnit(t) => write!(f, "\"{t}\" has no unit; {UNITS}"),
            DurationError::UnknownUnit { text, unit } => {
                write!(f, "\"{text}\" has an unknown unit \"{unit}\"; {UNITS}")
            }
            DurationError::TooLong(t) => write!(f, "\"{t}\" is too long"),
            DurationError::Invalid(t) => write!(f, "\"{t}\" is not a duration; {UNITS}"),
        }
    }
}

impl std::error::Error for DurationError {}

/// Parses a duration string with humantime's units (`ms`, `s`, `m`, `h`,
/// `d`, and their long forms), pieces added: `"1m 30s"`.
///
/// ```
/// use std::time::Duration;
/// use resilient_spec::parse_duration;
///
/// assert_eq!(parse_duration("1m 30s").unwrap(), Duration::from_secs(90));
/// assert!(parse_duration("60x").unwrap_err().to_string().contains("unknown unit \"x\""));
/// ```
///
/// # Errors
/// A [`DurationError`] saying what is wrong, for the front end to place.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    if text.trim().is_empty() {
        return Err(DurationError::Empty);
    }
    humantime::parse_duration(text).map_err(|e| match e {
        humantime::DurationError::UnknownUnit { unit, .. } if unit.is_empty() => {
            DurationError::NoUnit(text.to_string())
        }
        humantime::DurationError::UnknownUnit { unit, .. } => DurationError::UnknownUnit {
            text: text.to_string(),
            unit,
        },
        humantime::DurationError::NumberOverflow => DurationError::TooLong(text.to_string()),
        _ => DurationError::Invalid(text.to_string()),
    })
}

/// A number of seconds as a duration: `None` when negative, not finite,
/// or too large for a `Duration`.
pub(crate) fn from_secs(secs: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(secs).ok()
}

/// Seconds as written in a policy file or an attribute (`2`, `0.5`).
///
/// ```
/// use std::time::Duration;
/// use resilient_spec::seconds;
///
/// assert_eq!(seconds(0.5), Ok(Duration::from_millis(500)));
/// assert!(seconds(-1.0).is_err());
/// ```
///
/// # Errors
/// A message for a negative, infinite or NaN number, or one too large.
pub fn seconds(secs: f64) -> Result<Duration, &'static str> {
    if secs < 0.0 {
        return Err("must be positive, not negative");
    }
    from_secs(secs).ok_or("is out of range")
}
