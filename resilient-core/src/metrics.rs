//! Per-function figures: calls, outcomes, attempts, retries and timeouts.
//!
//! Every annotated function owns one [`Metrics`] in a `static`. Counting is a
//! store into a slot the counting thread owns: no lock, no allocation, no
//! locked instruction, and no cache line shared between threads counting at
//! once. A call is counted when it finishes. A function's figures join the
//! list that [`all`] returns on its first call.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Mutex;

use crate::counters::Counters;

static REGISTRY: Mutex<Vec<&'static Metrics>> = Mutex::new(Vec::new());

/// The live counters of one function (or one named operation).
///
/// ```
/// use resilient_core::metrics::Metrics;
///
/// static OCR: Metrics = Metrics::new("ocr", module_path!());
/// OCR.call_started();
/// OCR.retried();
/// OCR.call_succeeded();
/// let s = OCR.snapshot();
/// assert_eq!((s.calls, s.attempts, s.successes), (1, 2, 1));
/// ```
#[derive(Debug)]
pub struct Metrics {
    name: &'static str,
    module: &'static str,
    registered: AtomicBool,
    counts: Counters<5>,
}

const SUCCESSES: usize = 0;
const FAILURES: usize = 1;
const RETRIES: usize = 2;
const TIMEOUTS: usize = 3;
const REJECTIONS: usize = 4;

impl Metrics {
    /// Counters for the function `name` in `module` (pass `module_path!()`).
    pub const fn new(name: &'static str, module: &'static str) -> Self {
        Metrics {
            name,
            module,
            registered: AtomicBool::new(false),
            counts: Counters::new(),
        }
    }

    /// The function's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The module the function is in.
    pub const fn module(&self) -> &'static str {
        self.module
    }

    /// Lists these figures in [`all`] on a function's first call. Calls are
    /// counted when they finish, as successes or failures.
    #[inline]
    pub fn call_started(&'static self) {
        if !self.registered.load(Relaxed) {
            self.register();
        }
    }

    #[cold]
    fn register(&'static self) {
        if !self.registered.swap(true, Relaxed) {
            REGISTRY
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(self);
        }
    }

    /// Counts a call that returned `Ok`.
    #[inline]
    pub fn call_succeeded(&self) {
        self.counts.bump(SUCCESSES);
    }

    /// Counts a call that returned `Err`.
    #[inline]
    pub fn call_failed(&self) {
        self.counts.bump(FAILURES);
    }

    /// Counts a retry: one more attempt after a failed one.
    #[inline]
    pub fn retried(&self) {
        self.counts.bump(RETRIES);
    }

    /// Counts an attempt or call cut short by a timeout.
    #[inline]
    pub fn timed_out(&self) {
        self.counts.bump(TIMEOUTS);
    }

    /// Counts an attempt or call that an open circuit breaker refused.
    #[inline]
    pub fn rejected(&self) {
        self.counts.bump(REJECTIONS);
    }

    /// The figures as they are now.
    pub fn snapshot(&self) -> Snapshot {
        let successes = self.counts.sum(SUCCESSES);
        let failures = self.counts.sum(FAILURES);
        let calls = successes + failures;
        let retries = self.counts.sum(RETRIES);
        Snapshot {
            name: self.name,
            module: self.module,
            calls,
            successes,
            failures,
            // Every attempt is either a call's first or a retry.
            attempts: calls + retries,
            retries,
            timeouts: self.counts.sum(TIMEOUTS),
            rejections: self.counts.sum(REJECTIONS),
        }
    }
}

/// One function's figures at one moment.
///
/// Calls are counted when they finish: one still running, or dropped before
/// it finished, is in none of the figures but its retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// The function's name.
    pub name: &'static str,
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
}

impl Snapshot {
    fn ratio(n: u64, d: u64) -> f64 {
        if d == 0 {
            0.0
        } else {
            n as f64 / d as f64
        }
    }

    /// Finished calls that succeeded, from 0.0 to 1.0 (0.0 before any).
    ///
    /// ```
    /// # use resilient_core::metrics::Snapshot;
    /// let s = Snapshot { name: "f", module: "m", calls: 4, successes: 3, failures: 1,
    ///                    attempts: 6, retries: 2, timeouts: 0, rejections: 0 };
    /// assert_eq!(s.success_rate(), 0.75);
    /// assert_eq!(s.avg_attempts(), 1.5);
    /// assert_eq!(s.retry_rate(), 0.5);
    /// ```
    pub fn success_rate(&self) -> f64 {
        Self::ratio(self.successes, self.successes + self.failures)
    }

    /// Attempts per call (1.0 when nothing was retried).
    pub fn avg_attempts(&self) -> f64 {
        Self::ratio(self.attempts, self.calls)
    }

    /// Retries per call: a high rate means a systemic problem downstream.
    pub fn retry_rate(&self) -> f64 {
        Self::ratio(self.retries, self.calls)
    }
}

/// The figures of every function called so far, in the order of their first
/// calls.
///
/// ```
/// use resilient_core::metrics::{self, Metrics};
///
/// static F: Metrics = Metrics::new("listed_fn", module_path!());
/// F.call_started();
/// assert!(metrics::all().iter().any(|s| s.name == "listed_fn"));
/// ```
pub fn all() -> Vec<Snapshot> {
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .iter()
        .map(|m| m.snapshot())
        .collect()
}

/// The figures of the function called `name`, if it has been called. `name`
/// is the bare function name (`"gpt4_vision"`) or its full path
/// (`"my_app::ocr::gpt4_vision"`).
///
/// ```
/// use resilient_core::metrics::{self, Metrics};
///
/// static F: Metrics = Metrics::new("found_fn", "my_app::ocr");
/// F.call_started();
/// F.call_succeeded();
/// assert_eq!(metrics::get("my_app::ocr::found_fn").unwrap().calls, 1);
/// assert!(metrics::get("never_called").is_none());
/// ```
pub fn get(name: &str) -> Option<Snapshot> {
    let matches = |m: &Metrics| {
        m.name == name
            || name
                .strip_suffix(m.name)
                .and_then(|p| p.strip_suffix("::"))
                .is_some_and(|p| p == m.module)
    };
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .iter()
        .find(|m| matches(m))
        .map(|m| m.snapshot())
}
