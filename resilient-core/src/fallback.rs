//! Fallback chains: when the primary fails, try each alternative in turn,
//! and count which tier served each call, what it cost, and how good the
//! answers are expected to be.
//!
//! `#[fallback(claude = 0.05, local_ocr = 0.01)]` writes the chain and
//! lists its figures, found by the function's name:
//!
//! ```
//! use resilient_core::fallback::{Tier, Tiers};
//!
//! static OCR: Tiers = Tiers::new("read_text", &[
//!     Tier::new("gpt4_vision", 0.03).accuracy(0.99),
//!     Tier::new("local_ocr", 0.001).accuracy(0.85),
//! ]);
//! let s = OCR.listed().snapshot();
//! assert_eq!(s.tiers[1].name, "local_ocr");
//! assert_eq!((s.served(), s.spent(), s.expected_accuracy()), (0, 0.0, None));
//! ```

use std::fmt::{self, Display};

use crate::counters::Counters;
use crate::registry::{self, Handle, Listed};
use crate::{Show, Step};

pub use resilient_spec::fallback::MAX_TIERS;

/// One tier of a chain: a name for the figures and the events, what a call
/// it serves costs (in any unit: dollars, tokens, milliseconds), and the
/// share of its answers expected to be right.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tier {
    /// The tier's name, usually its function's.
    pub name: &'static str,
    /// What one call it serves costs.
    pub cost: f64,
    /// The share of its answers that are right, from 0 to 1, if known.
    pub accuracy: Option<f64>,
}

impl Tier {
    /// A tier named `name` costing `cost` per call served.
    pub const fn new(name: &'static str, cost: f64) -> Self {
        Tier {
            name,
            cost,
            accuracy: None,
        }
    }

    /// The same tier, expected to be right this share of the time.
    pub const fn accuracy(mut self, accuracy: f64) -> Self {
        self.accuracy = Some(accuracy);
        self
    }
}

/// The tiers of one function's chain (the primary first) and their figures.
pub struct Tiers {
    function: &'static str,
    module: &'static str,
    tiers: &'static [Tier],
    // Per tier: calls served (0..8), calls failed (8..16).
    counts: Counters<{ 2 * MAX_TIERS }>,
    #[cfg(feature = "metrics")]
    export: std::sync::OnceLock<Box<[crate::export::TierHandles]>>,
}

impl fmt::Debug for Tiers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tiers")
            .field("function", &self.function)
            .field("tiers", &self.tiers)
            .finish_non_exhaustive()
    }
}

impl Listed for Tiers {
    fn name(&self) -> &str {
        self.function
    }
    fn module(&self) -> &str {
        self.module
    }
}

/// Every error counts: the default of `#[fallback(when)]` (every error moves
/// on to the next tier) and of `#[circuit_breaker(record_if)]` (every error
/// is a failure).
pub fn always<E>(_: &E) -> bool {
    true
}

impl Tiers {
    /// The chain of `function`. At most [`MAX_TIERS`] tiers; more are
    /// ignored (the attribute refuses them at compile time).
    pub const fn new(function: &'static str, tiers: &'static [Tier]) -> Self {
        Tiers::of_function(function, "", tiers)
    }

    /// The chain of the function `function` in `module`.
    #[doc(hidden)]
    pub const fn of_function(
        function: &'static str,
        module: &'static str,
        tiers: &'static [Tier],
    ) -> Self {
        Tiers {
            function,
            module,
            tiers,
            counts: Counters::new(),
            #[cfg(feature = "metrics")]
            export: std::sync::OnceLock::new(),
        }
    }

    /// Lists a chain made by hand for [`get`] and [`all`] (the attributes
    /// list theirs when the program is linked), and returns it.
    pub fn listed(&'static self) -> &'static Tiers {
        registry::list(registry::Item::Tiers(self));
        self
    }

    /// Records tier `tier`'s outcome, after `took` ticks of the clock (0
    /// when calls are not timed: see [`Call::lap`](crate::private::Call::lap)),
    /// and says what follows: this result, or the next tier (when it
    /// failed, `when` says the error may be served elsewhere, and a next
    /// tier exists).
    #[doc(hidden)]
    #[inline]
    pub fn after<T, E>(
        &self,
        tier: usize,
        took: u64,
        out: Result<T, E>,
        when: fn(&E) -> bool,
        show: Show<E>,
    ) -> Step<T, E> {
        let tier = tier.min(MAX_TIERS - 1);
        #[cfg(feature = "metrics")]
        self.export(tier, out.is_ok(), took);
        #[cfg(not(feature = "metrics"))]
        let _ = took;
        match out {
            Ok(value) => {
                self.counts.bump(tier);
                if tier > 0 {
                    self.served_by_fallback(tier);
                }
                Step::Done(Ok(value))
            }
            Err(error) => {
                if self.failed(tier, show(&error), when(&error)) {
                    Step::Next
                } else {
                    Step::Done(Err(error))
                }
            }
        }
    }

    /// Records the last tier's outcome, which is the call's.
    #[doc(hidden)]
    #[inline]
    pub fn last<T, E>(
        &self,
        tier: usize,
        took: u64,
        out: Result<T, E>,
        show: Show<E>,
    ) -> Result<T, E> {
        match self.after(tier, took, out, never, show) {
            Step::Done(out) => out,
            // `never` lets no error move on.
            _ => unreachable!("the last tier ends the chain"),
        }
    }

    #[cfg(feature = "metrics")]
    fn export(&self, tier: usize, served: bool, took: u64) {
        let handles = self.export.get_or_init(|| {
            let function = Listed::path(self);
            self.tiers
                .iter()
                .map(|t| crate::export::TierHandles::new(&function, t.name))
                .collect()
        });
        if let Some(h) = handles.get(tier) {
            h.ended(served, took);
        }
    }

    #[cold]
    fn served_by_fallback(&self, tier: usize) {
        tracing::info!(target: "resilient", function = self.function, tier = self.name(tier), "served by a fallback");
    }

    #[cold]
    fn failed(&self, tier: usize, error: &dyn Display, eligible: bool) -> bool {
        self.counts.bump(MAX_TIERS + tier);
        let next = eligible && tier + 1 < self.tiers.len().min(MAX_TIERS);
        if next {
            tracing::warn!(target: "resilient", function = self.function, tier = self.name(tier), next = self.name(tier + 1), error = %error, "tier failed; falling back");
        } else {
            let reason = if eligible || tier + 1 == self.tiers.len() {
                "every tier failed"
            } else {
                "error not eligible for fallback"
            };
            tracing::warn!(target: "resilient", function = self.function, tier = self.name(tier), reason, error = %error, "fallback chain gave up");
        }
        next
    }

    fn name(&self, tier: usize) -> &'static str {
        self.tiers.get(tier).map_or("?", |t| t.name)
    }

    /// Every count back to zero: for tests.
    pub(crate) fn reset(&self) {
        self.counts.clear();
    }

    /// The chain's figures now.
    pub fn snapshot(&self) -> FallbackSnapshot {
        FallbackSnapshot {
            function: self.function,
            tiers: self
                .tiers
                .iter()
                .take(MAX_TIERS)
                .enumerate()
                .map(|(i, t)| {
                    let served = self.counts.sum(i);
                    let failures = self.counts.sum(MAX_TIERS + i);
                    TierSnapshot {
                        name: t.name,
                        cost: t.cost,
                        accuracy: t.accuracy,
                        calls: served + failures,
                        served,
                        failures,
                    }
                })
                .collect(),
        }
    }
}

fn never<E>(_: &E) -> bool {
    false
}

/// A chain's figures at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct FallbackSnapshot {
    /// The function the chain serves.
    pub function: &'static str,
    /// Each tier, the primary first.
    pub tiers: Vec<TierSnapshot>,
}

/// One tier's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TierSnapshot {
    /// The tier's name.
    pub name: &'static str,
    /// What a call it serves costs.
    pub cost: f64,
    /// The share of its answers expected to be right, if given.
    pub accuracy: Option<f64>,
    /// Calls made to this tier.
    pub calls: u64,
    /// Calls this tier served (returned `Ok`).
    pub served: u64,
    /// Calls this tier failed.
    pub failures: u64,
}

impl TierSnapshot {
    /// What the calls this tier served cost.
    pub fn spent(&self) -> f64 {
        self.served as f64 * self.cost
    }
}

impl FallbackSnapshot {
    /// Calls served by any tier.
    pub fn served(&self) -> u64 {
        self.tiers.iter().map(|t| t.served).sum()
    }

    /// What the served calls cost: each tier's calls served times its cost.
    pub fn spent(&self) -> f64 {
        self.tiers.iter().map(TierSnapshot::spent).sum()
    }

    /// The share of served calls that the primary served.
    pub fn primary_rate(&self) -> f64 {
        match (self.tiers.first(), self.served()) {
            (Some(p), n) if n > 0 => p.served as f64 / n as f64,
            _ => 0.0,
        }
    }

    /// The accuracy to expect of a served answer: each tier's accuracy
    /// weighted by the calls it served. `None` before any call was served,
    /// or when a tier that served one has no accuracy given.
    pub fn expected_accuracy(&self) -> Option<f64> {
        let served = self.served();
        if served == 0 {
            return None;
        }
        let mut sum = 0.0;
        for t in self.tiers.iter().filter(|t| t.served > 0) {
            sum += t.accuracy? * t.served as f64;
        }
        Some(sum / served as f64)
    }
}

/// The chain of the function at `name` (its full path, or its bare name
/// while unambiguous), found before its first call.
pub fn get(name: &str) -> Option<Handle<Tiers>> {
    registry::get(name)
}

/// Every listed chain.
///
/// ```
/// for chain in resilient_core::fallback::all() {
///     let s = chain.snapshot();
///     println!("{}: {:.0}% served by the primary, spent {:.2}", s.function,
///              s.primary_rate() * 100.0, s.spent());
/// }
/// ```
pub fn all() -> Vec<Handle<Tiers>> {
    registry::all()
}
