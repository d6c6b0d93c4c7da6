//! Per-function figures: calls, outcomes, attempts, retries and timeouts.
//!
//! Every annotated function owns one [`Metrics`] in a `static`. Counting is a
//! relaxed atomic add into a per-thread shard: no lock, no allocation, and
//! no cache line shared between threads counting at once. A function's figures join the
//! list that [`all`] returns on its first call.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

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
    counts: Sharded<6>,
}

const CALLS: usize = 0;
const SUCCESSES: usize = 1;
const FAILURES: usize = 2;
const RETRIES: usize = 3;
const TIMEOUTS: usize = 4;
const REJECTIONS: usize = 5;

impl Metrics {
    /// Counters for the function `name` in `module` (pass `module_path!()`).
    pub const fn new(name: &'static str, module: &'static str) -> Self {
        Metrics {
            name,
            module,
            registered: AtomicBool::new(false),
            counts: Sharded::new(),
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

    /// Counts a call, and lists these figures in [`all`] on the first one.
    #[inline]
    pub fn call_started(&'static self) {
        if !self.registered.load(Relaxed) {
            self.register();
        }
        self.counts.add(CALLS, 1);
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
        self.counts.add(SUCCESSES, 1);
    }

    /// Counts a call that returned `Err`.
    #[inline]
    pub fn call_failed(&self) {
        self.counts.add(FAILURES, 1);
    }

    /// Counts a retry: one more attempt after a failed one.
    #[inline]
    pub fn retried(&self) {
        self.counts.add(RETRIES, 1);
    }

    /// Counts an attempt or call cut short by a timeout.
    #[inline]
    pub fn timed_out(&self) {
        self.counts.add(TIMEOUTS, 1);
    }

    /// Counts an attempt or call that an open circuit breaker refused.
    #[inline]
    pub fn rejected(&self) {
        self.counts.add(REJECTIONS, 1);
    }

    /// The figures as they are now.
    pub fn snapshot(&self) -> Snapshot {
        let calls = self.counts.sum(CALLS);
        let retries = self.counts.sum(RETRIES);
        Snapshot {
            name: self.name,
            module: self.module,
            calls,
            successes: self.counts.sum(SUCCESSES),
            failures: self.counts.sum(FAILURES),
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
/// Calls still in flight are counted in `calls` and `attempts` but in
/// neither `successes` nor `failures`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// The function's name.
    pub name: &'static str,
    /// The module the function is in.
    pub module: &'static str,
    /// Calls started.
    pub calls: u64,
    /// Calls that returned `Ok`.
    pub successes: u64,
    /// Calls that returned `Err`, after any retries.
    pub failures: u64,
    /// Attempts made: calls plus retries.
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

const SHARDS: usize = 8;

/// `K` counters split into per-thread shards, each on a cache line of its
/// own, so that threads counting the same event do not bounce one line
/// between their cores. Reading sums the shards.
#[derive(Debug)]
pub(crate) struct Sharded<const K: usize> {
    shards: [Shard<K>; SHARDS],
}

#[derive(Debug)]
#[repr(align(128))]
struct Shard<const K: usize>([AtomicU64; K]);

impl<const K: usize> Sharded<K> {
    pub(crate) const fn new() -> Self {
        Sharded {
            shards: [const { Shard([const { AtomicU64::new(0) }; K]) }; SHARDS],
        }
    }

    #[inline]
    pub(crate) fn add(&self, counter: usize, n: u64) {
        self.shards[shard()].0[counter].fetch_add(n, Relaxed);
    }

    pub(crate) fn sum(&self, counter: usize) -> u64 {
        self.shards.iter().map(|s| s.0[counter].load(Relaxed)).sum()
    }
}

/// This thread's shard: threads take them in turn as they first count.
#[inline]
fn shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    SHARD.with(|s| {
        let mut i = s.get();
        if i == usize::MAX {
            i = NEXT.fetch_add(1, Relaxed) % SHARDS;
            s.set(i);
        }
        i
    })
}
