//! `fallback`: alternatives tried in order, with what each costs and how
//! good its answers are.

use crate::rule::{Reason, Report, Violation};
use crate::{Key, Kind};

/// The most tiers a chain may have, the primary included.
pub const MAX_TIERS: usize = 8;

/// `cost = 0.03`: the primary's cost per call served.
pub const COST: Key = key(0, "cost", Kind::Number, "0.03");
/// `accuracy = 0.99`: the primary's share of good answers.
pub const ACCURACY: Key = key(1, "accuracy", Kind::Number, "0.99");
/// `when = path`: which errors move on to the next tier.
pub const WHEN: Key = key(2, "when", Kind::Path, "is_outage");
/// `crate = "path"`: where the runtime is.
pub const CRATE: Key = key(3, "crate", Kind::Text, "\"my_crate::resilient_async\"");

const fn key(id: u8, name: &'static str, kind: Kind, example: &'static str) -> Key {
    Key {
        id,
        name,
        field: name,
        kind,
        in_file: false,
        example,
    }
}

/// The options of `#[fallback]`; every other argument names an
/// alternative.
pub const KEYS: &[Key] = &[COST, ACCURACY, WHEN, CRATE];

/// What a tier was given: its cost and its accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Tier {
    /// Cost per call served, in any unit (dollars, tokens).
    pub cost: Option<f64>,
    /// The share of its answers that are right, from 0 to 1.
    pub accuracy: Option<f64>,
}

/// The rules of one tier's figures: a cost is a finite number, at least 0;
/// an accuracy is from 0 to 1.
///
/// ```
/// use resilient_spec::fallback::{self, Tier};
///
/// let r = fallback::check_tier(&Tier { cost: Some(-1.0), accuracy: Some(1.5) });
/// let messages: Vec<String> = r.iter().map(|v| v.to_string()).collect();
/// assert_eq!(messages, [
///     "`cost` must be a finite number, at least 0, found -1",
///     "`accuracy` must be from 0 to 1, found 1.5",
/// ]);
/// ```
pub const fn check_tier(t: &Tier) -> Report {
    let mut r = Report::new();
    if let Some(c) = t.cost {
        if !(c.is_finite() && c >= 0.0) {
            r.push(Violation {
                key: &COST,
                reason: Reason::NotAPrice(c),
            });
        }
    }
    if let Some(a) = t.accuracy {
        if !(a >= 0.0 && a <= 1.0) {
            r.push(Violation {
                key: &ACCURACY,
                reason: Reason::Fraction(a),
            });
        }
    }
    r
}

/// The rule of a chain's length: at least one alternative, at most
/// [`MAX_TIERS`]` - 1`.
pub const fn check_alternatives(n: usize) -> Option<&'static str> {
    if n == 0 {
        Some("needs at least one alternative to call when this function fails, as in `#[fallback(claude, local_ocr)]`")
    } else if n >= MAX_TIERS {
        Some("takes at most 7 alternatives")
    } else {
        None
    }
}
