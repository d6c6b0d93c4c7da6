//! Fallback chains: when the primary fails, try each alternative in turn,
//! and count which tier served each call and what it cost.
//!
//! `#[fallback(claude = 0.05, local_ocr = 0.01)]` writes the chain; by hand
//! it is a few lines over a static [`Tiers`]:
//!
//! ```
//! use std::io;
//! use resilient_core::fallback::{self, Tier, Tiers};
//!
//! static OCR: Tiers = Tiers::new("read_text", &[
//!     Tier::new("gpt4_vision", 0.03),
//!     Tier::new("local_ocr", 0.001),
//! ]);
//!
//! async fn gpt4_vision() -> io::Result<String> { Err(io::ErrorKind::ConnectionReset.into()) }
//! async fn local_ocr() -> io::Result<String> { Ok("TOTAL 12.50".into()) }
//!
//! async fn read_text() -> io::Result<String> {
//!     let out = gpt4_vision().await;
//!     if !OCR.settle(0, &out, fallback::always) {
//!         return out;
//!     }
//!     let out = local_ocr().await;
//!     OCR.settle(1, &out, fallback::always);
//!     out
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! assert_eq!(read_text().await.unwrap(), "TOTAL 12.50");
//! let s = fallback::get("read_text").unwrap();
//! assert_eq!((s.tiers[0].failures, s.tiers[1].served), (1, 1));
//! assert_eq!(s.spent(), 0.001);
//! # }
//! ```

use std::fmt::{self, Display};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Mutex;

use crate::counters::Counters;

/// The most tiers a chain may have, the primary included.
pub const MAX_TIERS: usize = 8;

static CHAINS: Mutex<Vec<&'static Tiers>> = Mutex::new(Vec::new());

fn chains() -> std::sync::MutexGuard<'static, Vec<&'static Tiers>> {
    CHAINS.lock().unwrap_or_else(|p| p.into_inner())
}

/// One tier of a chain: a name for the figures and the events, and what a
/// call it serves costs (in any unit: dollars, tokens, milliseconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tier {
    /// The tier's name, usually its function's.
    pub name: &'static str,
    /// What one call it serves costs.
    pub cost: f64,
}

impl Tier {
    /// A tier named `name` costing `cost` per call served.
    pub const fn new(name: &'static str, cost: f64) -> Self {
        Tier { name, cost }
    }
}

/// The tiers of one function's chain (the primary first) and their figures.
pub struct Tiers {
    function: &'static str,
    tiers: &'static [Tier],
    // Per tier: calls served (0..8), calls failed (8..16).
    counts: Counters<{ 2 * MAX_TIERS }>,
    registered: AtomicBool,
}

impl fmt::Debug for Tiers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tiers")
            .field("function", &self.function)
            .field("tiers", &self.tiers)
            .finish_non_exhaustive()
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
        Tiers {
            function,
            tiers,
            counts: Counters::new(),
            registered: AtomicBool::new(false),
        }
    }

    /// Records tier `tier`'s outcome and says whether to call the next
    /// tier: when it failed, `when` says the error may be served elsewhere,
    /// and a next tier exists.
    #[inline]
    pub fn settle<T, E: Display>(
        &'static self,
        tier: usize,
        out: &Result<T, E>,
        when: fn(&E) -> bool,
    ) -> bool {
        if !self.registered.load(Relaxed) {
            self.register();
        }
        let tier = tier.min(MAX_TIERS - 1);
        match out {
            Ok(_) => {
                self.counts.bump(tier);
                if tier > 0 {
                    self.served_by_fallback(tier);
                }
                false
            }
            Err(error) => self.failed(tier, error, when(error)),
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
            let reason = if eligible {
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

    #[cold]
    fn register(&'static self) {
        if !self.registered.swap(true, Relaxed) {
            chains().push(self);
        }
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
                        calls: served + failures,
                        served,
                        failures,
                    }
                })
                .collect(),
        }
    }
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
    /// Calls made to this tier.
    pub calls: u64,
    /// Calls this tier served (returned `Ok`).
    pub served: u64,
    /// Calls this tier failed.
    pub failures: u64,
}

impl FallbackSnapshot {
    /// Calls served by any tier.
    pub fn served(&self) -> u64 {
        self.tiers.iter().map(|t| t.served).sum()
    }

    /// What the served calls cost: each tier's calls served times its cost.
    pub fn spent(&self) -> f64 {
        self.tiers.iter().map(|t| t.served as f64 * t.cost).sum()
    }

    /// The share of served calls that the primary served.
    pub fn primary_rate(&self) -> f64 {
        match (self.tiers.first(), self.served()) {
            (Some(p), n) if n > 0 => p.served as f64 / n as f64,
            _ => 0.0,
        }
    }
}

/// The figures of the chain of the function called `name`, once it has run.
pub fn get(name: &str) -> Option<FallbackSnapshot> {
    chains()
        .iter()
        .find(|t| t.function == name)
        .map(|t| t.snapshot())
}

/// The figures of every chain that has run.
///
/// ```
/// for chain in resilient_core::fallback::all() {
///     println!("{}: {:.0}% served by the primary, spent {:.2}", chain.function,
///              chain.primary_rate() * 100.0, chain.spent());
/// }
/// ```
pub fn all() -> Vec<FallbackSnapshot> {
    chains().iter().map(|t| t.snapshot()).collect()
}
