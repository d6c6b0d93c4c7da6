//! Self-healing: on failure, diagnose, run a remedy, and try again.
//!
//! A diagnoser looks at the error (and the call's arguments), may fix what
//! it can (re-encode a file, refresh a token, reconnect, clean up an
//! image), and returns a [`Heal`] decision. One remedy runs at a time per
//! function: calls that fail while it runs wait for it, then try again
//! without diagnosing anew, so ten failing callers do not reconnect ten
//! times.
//!
//! ```
//! use std::io;
//! use std::time::Duration;
//! use resilient_core::heal::{Heal, Healer};
//!
//! static HEALER: Healer = Healer::new("upload");
//!
//! async fn diagnose(error: &io::Error) -> Heal {
//!     match error.kind() {
//!         io::ErrorKind::InvalidData => Heal::Retry, // re-encoded: try again
//!         _ => Heal::GiveUp,
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
//! let mut calls = 0;
//! let out: io::Result<&str> = loop {
//!     let seen = HEALER.generation();
//!     calls += 1;
//!     let out = if calls == 1 { Err(io::ErrorKind::InvalidData.into()) } else { Ok("stored") };
//!     match out {
//!         Ok(v) => { HEALER.succeeded(calls > 1); break Ok(v) }
//!         Err(e) => match HEALER.heal(seen, calls - 1, 2, Duration::from_millis(100), &e, diagnose(&e)).await {
//!             Some(delay) => tokio::time::sleep(delay).await,
//!             None => break Err(e),
//!         },
//!     }
//! };
//! assert_eq!(out.unwrap(), "stored");
//! assert_eq!(HEALER.snapshot().healed, 1);
//! # }
//! ```

use std::fmt::Display;
use std::future::Future;
use std::sync::atomic::{
    AtomicBool, AtomicU64,
    Ordering::{Acquire, Relaxed, Release},
};
use std::sync::Mutex;
use std::time::Duration;

static HEALERS: Mutex<Vec<&'static Healer>> = Mutex::new(Vec::new());

fn healers() -> std::sync::MutexGuard<'static, Vec<&'static Healer>> {
    HEALERS.lock().unwrap_or_else(|p| p.into_inner())
}

/// What a diagnoser decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heal {
    /// The cause is fixed (or worth another go): try again after the
    /// round's backoff.
    Retry,
    /// Try again, but not before this long (a service asked to wait, a
    /// remedy needs time to take effect).
    RetryAfter(Duration),
    /// Nothing to be done: return the error.
    GiveUp,
}

/// The self-healing state of one function: its single remedy slot and its
/// figures.
#[derive(Debug)]
pub struct Healer {
    name: &'static str,
    /// Held while a remedy runs.
    remedy: tokio::sync::Mutex<()>,
    /// +1 after each remedy; a call that saw an older value has been
    /// overtaken by a remedy and just tries again.
    generation: AtomicU64,
    diagnosed: AtomicU64,
    joined: AtomicU64,
    healed: AtomicU64,
    gave_up: AtomicU64,
    registered: AtomicBool,
}

impl Healer {
    /// The healer of the function `name`.
    pub const fn new(name: &'static str) -> Self {
        Healer {
            name,
            remedy: tokio::sync::Mutex::const_new(()),
            generation: AtomicU64::new(0),
            diagnosed: AtomicU64::new(0),
            joined: AtomicU64::new(0),
            healed: AtomicU64::new(0),
            gave_up: AtomicU64::new(0),
            registered: AtomicBool::new(false),
        }
    }

    /// The remedies run so far: read it before each attempt and hand it to
    /// [`heal`](Self::heal).
    #[inline]
    pub fn generation(&self) -> u64 {
        self.generation.load(Acquire)
    }

    /// After a failed attempt that started at generation `seen`, in heal
    /// round `round` (from 0) of at most `max`: runs `diagnose` (one remedy
    /// at a time per function), or, if a remedy ran since the attempt
    /// started, joins it without diagnosing. Returns the delay before the
    /// next attempt (`backoff × 2^round`, or longer if the diagnoser asks),
    /// or `None` to give up.
    pub fn heal<D: Future<Output = Heal>>(
        &'static self,
        seen: u64,
        round: u32,
        max: u32,
        backoff: Duration,
        error: &dyn Display,
        diagnose: D,
    ) -> impl Future<Output = Option<Duration>> + use<D> {
        if !self.registered.load(Relaxed) && !self.registered.swap(true, Relaxed) {
            healers().push(self);
        }
        // The error is logged here, before any wait, so that the future
        // does not hold it (and is `Send` whatever the error type).
        let spent = round >= max;
        if spent {
            self.gave_up.fetch_add(1, Relaxed);
            tracing::warn!(target: "resilient", function = self.name, rounds = round, error = %error, "self-healing gave up: no rounds left");
        } else {
            tracing::info!(target: "resilient", function = self.name, round, error = %error, "call failed; healing");
        }
        let backoff = backoff.saturating_mul(2u32.saturating_pow(round));
        async move {
            if spent {
                return None;
            }
            let _slot = self.remedy.lock().await;
            if self.generation.load(Acquire) != seen {
                // Another call's remedy ran meanwhile: try again, as it did.
                self.joined.fetch_add(1, Relaxed);
                tracing::debug!(target: "resilient", function = self.name, "joined a remedy run by another call");
                return Some(backoff);
            }
            self.diagnosed.fetch_add(1, Relaxed);
            tracing::info!(target: "resilient", function = self.name, round, "diagnosing");
            let decision = diagnose.await;
            if decision != Heal::GiveUp {
                // A remedy ran: calls that failed meanwhile just try again.
                self.generation.fetch_add(1, Release);
            }
            tracing::info!(target: "resilient", function = self.name, round, ?decision, "diagnosed");
            match decision {
                Heal::Retry => Some(backoff),
                Heal::RetryAfter(wait) => Some(wait.max(backoff)),
                Heal::GiveUp => {
                    self.gave_up.fetch_add(1, Relaxed);
                    None
                }
            }
        }
    }

    /// The call succeeded; `after_healing` when it took at least one heal
    /// round.
    #[inline]
    pub fn succeeded(&self, after_healing: bool) {
        if after_healing {
            self.healed.fetch_add(1, Relaxed);
            tracing::info!(target: "resilient", function = self.name, "healed");
        }
    }

    /// The figures now.
    pub fn snapshot(&self) -> HealSnapshot {
        HealSnapshot {
            name: self.name,
            diagnosed: self.diagnosed.load(Relaxed),
            joined: self.joined.load(Relaxed),
            healed: self.healed.load(Relaxed),
            gave_up: self.gave_up.load(Relaxed),
        }
    }
}

/// One function's self-healing figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealSnapshot {
    /// The function's name.
    pub name: &'static str,
    /// Diagnoses run: heals attempted.
    pub diagnosed: u64,
    /// Failed calls that waited for another call's remedy instead.
    pub joined: u64,
    /// Calls that succeeded after at least one heal round: heals that worked.
    pub healed: u64,
    /// Calls returned with their error: the diagnoser gave up or the rounds
    /// ran out.
    pub gave_up: u64,
}

/// The self-healing figures of the function called `name`, once it healed.
pub fn get(name: &str) -> Option<HealSnapshot> {
    healers()
        .iter()
        .find(|h| h.name == name)
        .map(|h| h.snapshot())
}
