//! Per-function figures: calls, outcomes, attempts, retries, timeouts and
//! refusals.
//!
//! Every annotated function owns one [`Metrics`] in a `static`, listed when
//! the program is linked, so [`get`] finds it before its first call.
//! Counting is a store into a slot the counting thread owns: no lock, no
//! allocation after the first count, no locked instruction, and no cache
//! line shared between threads counting at once. A call is counted when it
//! finishes.

use std::fmt::Display;
use std::sync::{Arc, Mutex};

use crate::counters::Counters;
use crate::latency::Latency;
pub use crate::latency::{time_calls, LatencySummary};
use crate::registry::{self, Handle, Listed};
use crate::Name;

/// The live counters of one function (or one named tool). The engines
/// count into them; read them with [`snapshot`](Metrics::snapshot).
///
/// ```
/// use std::io;
/// use resilient_core::metrics::Metrics;
/// use resilient_core::{ByTransient, RetryConfig};
///
/// static OCR: Metrics = Metrics::new("ocr", module_path!());
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let policy = RetryConfig::new().build().unwrap();
/// let mut failures = 1;
/// let out: io::Result<()> = policy
///     .run_with(&ByTransient, &OCR, || {
///         let fail = failures > 0;
///         failures -= 1;
///         async move { if fail { Err(io::ErrorKind::ConnectionReset.into()) } else { Ok(()) } }
///     })
///     .await;
/// assert!(out.is_ok());
/// let s = OCR.snapshot();
/// assert_eq!((s.calls, s.attempts, s.successes), (1, 2, 1));
/// # }
/// ```
#[derive(Debug)]
pub struct Metrics {
    name: Name,
    module: &'static str,
    counts: Counters<5>,
    latency: Latency,
    last_error: Mutex<Option<String>>,
    #[cfg(feature = "metrics")]
    export: std::sync::OnceLock<crate::export::Handles>,
}

const SUCCESSES: usize = 0;
const FAILURES: usize = 1;
const RETRIES: usize = 2;
const TIMEOUTS: usize = 3;
const REJECTIONS: usize = 4;

impl Listed for Metrics {
    fn name(&self) -> &str {
        &self.name
    }
    fn module(&self) -> &str {
        self.module
    }
}

impl Metrics {
    /// Counters for the function `name` in `module` (pass `module_path!()`).
    pub const fn new(name: &'static str, module: &'static str) -> Self {
        Metrics {
            name: Name::new(name),
            module,
            counts: Counters::new(),
            latency: Latency::new(),
            last_error: Mutex::new(None),
            #[cfg(feature = "metrics")]
            export: std::sync::OnceLock::new(),
        }
    }

    /// Counters named at run time (an executor's tool), listed until
    /// dropped.
    pub fn shared(name: impl Into<Name>) -> Arc<Metrics> {
        let m = Arc::new(Metrics {
            name: name.into(),
            module: "",
            counts: Counters::new(),
            latency: Latency::new(),
            last_error: Mutex::new(None),
            #[cfg(feature = "metrics")]
            export: std::sync::OnceLock::new(),
        });
        registry::list_metrics(&m);
        m
    }

    /// Lists a `static` made by hand for [`get`] and [`all`] (the
    /// attributes list theirs at link time), and returns it.
    pub fn listed(&'static self) -> &'static Metrics {
        registry::list(registry::Item::Metrics(self));
        self
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The module the function is in (empty for a tool).
    pub const fn module(&self) -> &'static str {
        self.module
    }

    /// The handles the figures are exported with, labelled
    /// `module::function`.
    #[cfg(feature = "metrics")]
    fn export(&self) -> &crate::export::Handles {
        self.export
            .get_or_init(|| crate::export::Handles::new(&Listed::path(self)))
    }

    /// Counts a call that returned `Ok`.
    #[inline]
    pub(crate) fn succeeded(&self) {
        self.counts.bump(SUCCESSES);
        #[cfg(feature = "metrics")]
        self.export().successes.increment(1);
    }

    /// Counts a call that returned `Err`.
    #[inline]
    pub(crate) fn failed(&self) {
        self.counts.bump(FAILURES);
        #[cfg(feature = "metrics")]
        self.export().failures.increment(1);
    }

    /// Counts a retry: one more attempt after a failed one.
    #[inline]
    pub(crate) fn retried(&self) {
        self.counts.bump(RETRIES);
        #[cfg(feature = "metrics")]
        self.export().retries.increment(1);
    }

    /// Counts an attempt or call cut short by a timeout.
    #[inline]
    pub(crate) fn timed_out(&self) {
        self.counts.bump(TIMEOUTS);
        #[cfg(feature = "metrics")]
        self.export().timeouts.increment(1);
    }

    /// Counts an attempt or call that an open circuit breaker refused.
    #[inline]
    pub(crate) fn rejected(&self) {
        self.counts.bump(REJECTIONS);
        #[cfg(feature = "metrics")]
        self.export().rejections.increment(1);
    }

    /// Records how long a call took.
    #[cold]
    pub(crate) fn took(&self, nanos: u64) {
        self.latency.record(nanos);
        #[cfg(feature = "metrics")]
        self.export()
            .duration
            .record(std::time::Duration::from_nanos(nanos).as_secs_f64());
    }

    /// Keeps the error a call ended with.
    #[cold]
    pub(crate) fn ended_with(&self, error: &dyn Display) {
        let text = error.to_string();
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(text);
    }

    /// Every count back to zero (for tests; see
    /// [`registry::reset`]).
    pub fn reset(&self) {
        self.counts.clear();
        self.latency.clear();
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The figures as they are now.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let successes = self.counts.sum(SUCCESSES);
        let failures = self.counts.sum(FAILURES);
        let calls = successes + failures;
        let retries = self.counts.sum(RETRIES);
        MetricsSnapshot {
            name: self.name.clone(),
            module: self.module,
            calls,
            successes,
            failures,
            // Every attempt is either a call's first or a retry.
            attempts: calls + retries,
            retries,
            timeouts: self.counts.sum(TIMEOUTS),
            rejections: self.counts.sum(REJECTIONS),
            latency: self.latency.summary(),
            last_error: self
                .last_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }
}

/// One function's figures at one moment.
///
/// Calls are counted when they finish: one still running, or dropped before
/// it finished, is in none of the figures but its retries.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// The function's name.
    pub name: Name,
    /// The module the function is in.
    pub module: &'static str,
    /// Calls finished: `successes + failures`.
    pub calls: u64,
    /// Calls that returned `Ok`.
    pub successes: u64,
    /// Calls that returned `Err`, after any retries.
    pub failures: u64,
    /// Attempts made: finished calls plus retries.
    pub attempts: u64,
    /// Attempts made after a failed one.
    pub retries: u64,
    /// Attempts or calls cut short by a timeout.
    pub timeouts: u64,
    /// Attempts or calls refused by an open circuit breaker.
    pub rejections: u64,
    /// How long the calls took, when calls are timed (see
    /// [`time_calls`]).
    pub latency: Option<LatencySummary>,
    /// The error the last failed call ended with, as displayed (for
    /// functions with `#[retry]`, `#[self_heal]` or `#[fallback]`, whose
    /// errors are `Display`).
    pub last_error: Option<String>,
}

impl MetricsSnapshot {
    fn ratio(n: u64, d: u64) -> f64 {
        if d == 0 {
            0.0
        } else {
            n as f64 / d as f64
        }
    }

    /// Finished calls that succeeded, from 0.0 to 1.0 (0.0 before any).
    /// The tutorial prints it as a percentage: `success_rate() * 100.0`.
    ///
    /// ```
    /// use std::io;
    /// use resilient_core::metrics::Metrics;
    /// use resilient_core::{ByTransient, RetryConfig};
    ///
    /// static F: Metrics = Metrics::new("f", "m");
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let policy = RetryConfig::new().max_retries(1).build().unwrap();
    /// for fails in [0, 1, 1, 2] {
    ///     let mut left = fails;
    ///     let _: io::Result<()> = policy
    ///         .run_with(&ByTransient, &F, || {
    ///             let fail = left > 0;
    ///             left -= 1;
    ///             async move { if fail { Err(io::ErrorKind::TimedOut.into()) } else { Ok(()) } }
    ///         })
    ///         .await;
    /// }
    /// let s = F.snapshot();
    /// assert_eq!((s.calls, s.successes, s.attempts, s.retries), (4, 3, 7, 3));
    /// assert_eq!(s.success_rate(), 0.75);
    /// assert_eq!(s.avg_attempts(), 1.75);
    /// assert_eq!(s.retry_rate(), 0.75);
    /// assert_eq!(s.last_error.as_deref(), Some("timed out"));
    /// # }
    /// ```
    pub fn success_rate(&self) -> f64 {
        Self::ratio(self.successes, self.calls)
    }

    /// Attempts per call (1.0 when nothing was retried).
    pub fn avg_attempts(&self) -> f64 {
        Self::ratio(self.attempts, self.calls)
    }

    /// Retries per call: a high rate means a systemic problem downstream.
    /// The tutorial's "retry rate" is this figure as a percentage (retries
    /// per hundred calls; it can pass 100 % when calls retry more than
    /// once).
    pub fn retry_rate(&self) -> f64 {
        Self::ratio(self.retries, self.calls)
    }
}

/// The figures of the function at `name`: its full path
/// (`"my_app::ocr::gpt4_vision"`), or its bare name while no other listed
/// function has it.
///
/// ```
/// use resilient_core::metrics::{self, Metrics};
///
/// static F: Metrics = Metrics::new("found_fn", "my_app::ocr");
/// F.listed();
/// assert_eq!(metrics::get("my_app::ocr::found_fn").unwrap().name(), "found_fn");
/// assert_eq!(metrics::get("found_fn").unwrap().module(), "my_app::ocr");
/// assert!(metrics::get("never_listed").is_none());
/// ```
pub fn get(name: &str) -> Option<Handle<Metrics>> {
    registry::get(name)
}

/// The figures of every listed function.
///
/// ```
/// for m in resilient_core::metrics::all() {
///     let s = m.snapshot();
///     println!("{}::{}: {} calls", s.module, s.name, s.calls);
/// }
/// ```
pub fn all() -> Vec<Handle<Metrics>> {
    registry::all()
}
