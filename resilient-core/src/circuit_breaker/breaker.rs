use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use rand::Rng;

use super::clock::{self, nanos};
use super::config::{BreakerPolicy, Window};
use super::state::{Admit, Change, Core, Rejected, State};
use super::window::{Calls, Outcome, Tally};
use crate::counters::Counters;
use crate::metrics::Metrics;
use crate::registry::{self, Listed};
use crate::sync::loom_const_fn;
use crate::{rng, CircuitOpen, ClassifyResult, Name};

type Listener = dyn Fn(&Transition) + Send + Sync;

/// A circuit breaker: it stops calling a service that keeps failing, and
/// lets a few probe calls through after a cooldown to see whether it is back.
///
/// `#[circuit_breaker]` keeps one in a `static` per function; build one by
/// hand to share it as you like. The path of an admitted call takes no lock
/// and allocates nothing, and while the breaker is closed a success with no
/// failures to forget writes no shared memory.
///
/// ```
/// use std::io;
/// use std::time::Duration;
/// use resilient_core::circuit_breaker::{BreakerConfig, BreakerPolicy, CircuitBreaker, State};
///
/// const POLICY: BreakerPolicy = match BreakerConfig::new().threshold(2).build() {
///     Ok(p) => p,
///     Err(_) => panic!(),
/// };
/// static VISION: CircuitBreaker = CircuitBreaker::new("vision", POLICY);
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// for _ in 0..2 {
///     let _ = VISION.call(async { Err::<(), _>(io::Error::from(io::ErrorKind::ConnectionReset)) }).await;
/// }
/// assert_eq!(VISION.state(), State::Open);
/// // The body does not run: the call is refused at once.
/// let refused: io::Result<()> = VISION.call(async { unreachable!() }).await;
/// assert_eq!(refused.unwrap_err().kind(), io::ErrorKind::ResourceBusy);
///
/// tokio::time::sleep(Duration::from_secs(60)).await; // the default cooldown
/// VISION.call(async { Ok::<_, io::Error>(()) }).await.unwrap(); // the probe
/// assert_eq!(VISION.state(), State::Closed);
/// # }
/// ```
pub struct CircuitBreaker<H: Head = Owned> {
    /// Its name and policy: its own, or shared by a function's per-key
    /// breakers.
    head: H,
    core: Core,
    window: Calls,
    // Counted on every call: per thread, so that threads do not contend.
    hot: Counters<2>,
    failures: AtomicU64,
    slow: AtomicU64,
    transitions: AtomicU64,
    opened: AtomicU64,
    /// The failure rate that last opened it, as `f64` bits: what a rate
    /// breaker's snapshot shows until it closes and measures afresh.
    opened_rate: AtomicU64,
    listeners: Mutex<Vec<Arc<Listener>>>,
}

/// One of a function's per-key breakers
/// ([`KeyedBreakers`](super::KeyedBreakers)): a [`CircuitBreaker`] whose
/// name and policy are one copy shared by all the function's keys, so that
/// 100,000 idle keys hold about 24 MB rather than 55.
///
/// ```
/// use std::sync::Arc;
/// use resilient_core::circuit_breaker::{BreakerPolicy, KeyedBreaker, KeyedBreakers};
///
/// static PER_HOST: KeyedBreakers = KeyedBreakers::new("per_host", BreakerPolicy::DEFAULT, 100);
///
/// let a: Arc<KeyedBreaker> = PER_HOST.get("a.example");
/// let b = PER_HOST.get("b.example");
/// assert!(!Arc::ptr_eq(&a, &b));
/// assert!(std::ptr::eq(a.policy(), b.policy())); // one copy
/// ```
pub type KeyedBreaker = CircuitBreaker<SharedHead>;

/// Where a [`CircuitBreaker`] keeps its name and policy: in itself
/// ([`Owned`]), or shared by a function's per-key breakers
/// ([`SharedHead`]). Sealed. Code that takes any breaker is generic over it:
///
/// ```
/// use resilient_core::circuit_breaker::{BreakerPolicy, CircuitBreaker, Head, KeyedBreakers};
///
/// fn describe<H: Head>(b: &CircuitBreaker<H>) -> String {
///     format!("{}: {:?}", b.name(), b.state())
/// }
///
/// static OCR: CircuitBreaker = CircuitBreaker::new("ocr", BreakerPolicy::DEFAULT);
/// static PER_HOST: KeyedBreakers = KeyedBreakers::new("per_host", BreakerPolicy::DEFAULT, 100);
/// assert_eq!(describe(&OCR), "ocr: Closed");
/// assert_eq!(describe(&PER_HOST.get("a.example")), "per_host: Closed");
/// ```
pub trait Head: sealed::Sealed + Send + Sync + 'static {
    /// The breaker's name.
    fn name(&self) -> &Name;
    /// The module of the function it guards ("" for one made by hand).
    fn module(&self) -> &str;
    /// The breaker's settings.
    fn policy(&self) -> &BreakerPolicy;
    /// One of many breakers under one name: it counts into shared atomics
    /// (striped slots would cost 4 KiB a key), and is exported without a
    /// state gauge, which one name could not show for many breakers.
    #[doc(hidden)]
    const PER_KEY: bool;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Owned {}
    impl Sealed for super::SharedHead {}
}

/// The name and policy of a breaker of its own, kept in the breaker: what
/// a plain [`CircuitBreaker`] holds.
///
/// ```
/// use resilient_core::circuit_breaker::{BreakerPolicy, CircuitBreaker, Owned};
///
/// static OCR: CircuitBreaker<Owned> = CircuitBreaker::new("ocr", BreakerPolicy::DEFAULT);
/// assert_eq!(OCR.name(), "ocr");
/// ```
#[derive(Debug)]
pub struct Owned {
    name: Name,
    module: &'static str,
    policy: BreakerPolicy,
}

impl Head for Owned {
    #[inline]
    fn name(&self) -> &Name {
        &self.name
    }
    fn module(&self) -> &str {
        self.module
    }
    #[inline]
    fn policy(&self) -> &BreakerPolicy {
        &self.policy
    }
    const PER_KEY: bool = false;
}

/// The name and policy of a function's per-key breakers: one copy, which
/// each key's breaker holds through an `Arc` (8 bytes instead of 320).
///
/// ```
/// use resilient_core::circuit_breaker::{BreakerPolicy, CircuitBreaker, KeyedBreakers, SharedHead};
///
/// static PER_HOST: KeyedBreakers = KeyedBreakers::new("per_host", BreakerPolicy::DEFAULT, 100);
/// let b: std::sync::Arc<CircuitBreaker<SharedHead>> = PER_HOST.get("a.example");
/// assert_eq!(b.name(), "per_host");
/// ```
#[derive(Debug, Clone)]
pub struct SharedHead(Arc<Owned>);

impl SharedHead {
    pub(crate) fn new(name: &'static str, module: &'static str, policy: BreakerPolicy) -> Self {
        SharedHead(Arc::new(Owned {
            name: Name::new(name),
            module,
            policy,
        }))
    }
}

impl Head for SharedHead {
    #[inline]
    fn name(&self) -> &Name {
        &self.0.name
    }
    fn module(&self) -> &str {
        self.0.module
    }
    #[inline]
    fn policy(&self) -> &BreakerPolicy {
        &self.0.policy
    }
    const PER_KEY: bool = true;
}

const SUCCESSES: usize = 0;
const REJECTIONS: usize = 1;

impl<H: Head> fmt::Debug for CircuitBreaker<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("name", self.head.name())
            .field("state", &self.state())
            .field("policy", self.head.policy())
            .finish_non_exhaustive()
    }
}

impl<H: Head> Listed for CircuitBreaker<H> {
    fn name(&self) -> &str {
        self.head.name()
    }
    fn module(&self) -> &str {
        self.head.module()
    }
}

/// A state change of a breaker, as [`subscribe`](CircuitBreaker::subscribe)
/// listeners see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The breaker's name.
    pub breaker: Name,
    /// The state it left.
    pub from: State,
    /// The state it entered.
    pub to: State,
    /// For a move to [`State::Open`]: how long until the first probe.
    pub cooldown: Option<Duration>,
}

/// A breaker's figures at one moment.
///
/// Calls are counted when they finish; one still running, or dropped before
/// it finished, is not counted.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerSnapshot {
    /// The breaker's name.
    pub name: Name,
    /// Its state.
    pub state: State,
    /// Admitted calls that finished (probes included): `successes +
    /// failures`.
    pub calls: u64,
    /// Admitted calls that counted as successes (errors that `record_if`
    /// passes over included).
    pub successes: u64,
    /// Admitted calls that counted as failures: failed calls, and slow ones
    /// when slow calls count as failures (no `slow_rate`).
    pub failures: u64,
    /// Calls slower than `slow_call`, whatever their outcome.
    pub slow: u64,
    /// Calls refused without running.
    pub rejections: u64,
    /// State changes.
    pub transitions: u64,
    /// Times the breaker opened (a transition into [`State::Open`]).
    pub opened: u64,
    /// The share of failures: in rate mode over the window while closed,
    /// and the rate that opened it while it is not; otherwise over every
    /// finished call (0.0 before any).
    pub failure_rate: f64,
}

impl CircuitBreaker {
    loom_const_fn! {
        /// A closed breaker named `name` (for `tracing`, metrics and
        /// [`get`](super::get)) with the settings of `policy`.
        pub fn new(name: &'static str, policy: BreakerPolicy) -> CircuitBreaker {
            CircuitBreaker::of_function(name, "", policy)
        }
    }

    loom_const_fn! {
        /// The breaker of the function `name` in `module`.
        #[doc(hidden)]
        pub fn of_function(name: &'static str, module: &'static str, policy: BreakerPolicy) -> CircuitBreaker {
            CircuitBreaker::with_name(Name::new(name), module, policy)
        }
    }

    loom_const_fn! {
        fn with_name(name: Name, module: &'static str, policy: BreakerPolicy) -> CircuitBreaker {
            CircuitBreaker::with_head(Owned { name, module, policy })
        }
    }

    /// A breaker named at run time (an executor's tool), listed for
    /// [`get`](super::get) until it is dropped.
    pub fn shared(name: impl Into<Name>, policy: BreakerPolicy) -> Arc<CircuitBreaker> {
        let b = Arc::new(CircuitBreaker::with_name(name.into(), "", policy));
        registry::list_breaker(&b);
        b
    }

    /// Lists a breaker made by hand (once) for [`get`](super::get) and
    /// [`all`](super::all), and returns it. The attributes list theirs
    /// when the program is linked.
    ///
    /// ```
    /// use resilient_core::circuit_breaker::{self, BreakerPolicy, CircuitBreaker};
    ///
    /// static PAYMENTS: CircuitBreaker = CircuitBreaker::new("payments", BreakerPolicy::DEFAULT);
    /// PAYMENTS.listed();
    /// assert!(circuit_breaker::get("payments").is_some());
    /// ```
    pub fn listed(&'static self) -> &'static CircuitBreaker {
        registry::list(registry::Item::Breaker(self));
        self
    }
}

impl<H: Head> CircuitBreaker<H> {
    loom_const_fn! {
        /// A closed breaker with `head`'s name and policy.
        pub(crate) fn with_head(head: H) -> CircuitBreaker<H> {
            CircuitBreaker {
                head,
                core: Core::new(),
                window: Calls::new(),
                hot: if H::PER_KEY { Counters::shared() } else { Counters::new() },
                failures: AtomicU64::new(0),
                slow: AtomicU64::new(0),
                transitions: AtomicU64::new(0),
                opened: AtomicU64::new(0),
                opened_rate: AtomicU64::new(0),
                listeners: Mutex::new(Vec::new()),
            }
        }
    }

    /// The breaker's name.
    pub fn name(&self) -> &str {
        self.head.name()
    }

    /// The breaker's settings.
    pub fn policy(&self) -> &BreakerPolicy {
        self.head.policy()
    }

    /// Runs `call` if the breaker admits it, and counts every error as a
    /// failure. A refused call fails with `E::from(CircuitOpen)` and `call`
    /// does not run.
    pub fn call<T, E, F>(&self, call: F) -> BreakerCall<'_, F, T, E, H>
    where
        F: Future<Output = Result<T, E>>,
        E: From<CircuitOpen>,
    {
        BreakerCall::new(self, crate::fallback::always, None, E::from, call)
    }

    /// [`call`](Self::call), counting only the errors `record_if` returns
    /// `true` for (the others count as successes, as in resilience4j), and
    /// counting refusals in `metrics`.
    pub fn call_with<'b, T, E, F>(
        &'b self,
        record_if: fn(&E) -> bool,
        metrics: Option<&'b Metrics>,
        call: F,
    ) -> BreakerCall<'b, F, T, E, H>
    where
        F: Future<Output = Result<T, E>>,
        E: From<CircuitOpen>,
    {
        BreakerCall::new(self, record_if, metrics, E::from, call)
    }

    /// Asks to run a call. Keep the [`Permit`] while the call runs and report
    /// its outcome with it; dropping it unreported (a cancelled or panicked
    /// call) gives a probe's place back.
    ///
    /// # Errors
    /// [`CircuitOpen`] when the breaker refuses the call.
    ///
    /// ```
    /// use resilient_core::circuit_breaker::{BreakerConfig, CircuitBreaker, State};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let breaker = CircuitBreaker::new("db", BreakerConfig::new().threshold(1).build().unwrap());
    /// breaker.try_acquire().unwrap().failure();
    /// assert_eq!(breaker.state(), State::Open);
    /// assert!(breaker.try_acquire().is_err());
    /// # }
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Result<Permit<'_, H>, CircuitOpen> {
        match self.admit() {
            Ok(ticket) => Ok(Permit {
                breaker: self,
                ticket,
                done: false,
            }),
            Err(why) => Err(self.rejected(why)),
        }
    }

    /// The admission of one call. The common case, closed with no slow-call
    /// timing, is one atomic load, inlined into the caller.
    #[inline]
    pub(crate) fn admit(&self) -> Result<Ticket, Rejected> {
        match self.admit_closed() {
            Some(ticket) => Ok(ticket),
            None => self.admit_slowly(),
        }
    }

    /// The common case of [`admit`](Self::admit), or `None`.
    #[inline]
    fn admit_closed(&self) -> Option<Ticket> {
        if self.policy().resolved.slow_call.is_some() {
            return None;
        }
        let epoch = self.core.closed_epoch()?;
        Some(Ticket {
            admit: Admit::Call { epoch },
            started: 0,
        })
    }

    #[inline(never)]
    fn admit_slowly(&self) -> Result<Ticket, Rejected> {
        let (admit, change) = self
            .core
            .acquire(clock::now, self.policy().resolved.half_open)?;
        // The ticket is made before the listeners run: whatever they do,
        // the caller holds its permit and gives it back if dropped.
        let ticket = Ticket {
            admit,
            started: match self.policy().resolved.slow_call {
                Some(_) => clock::now(),
                None => 0,
            },
        };
        if let Some(change) = change {
            self.transitioned(change, None);
        }
        Ok(ticket)
    }

    /// Reports an admitted call's outcome. A success while closed, with
    /// nothing to measure, is inlined: a load, and a count in this thread's
    /// slot.
    #[inline(always)]
    pub(crate) fn settle(&self, ticket: Ticket, failed: bool) {
        let r = &self.policy().resolved;
        if let (false, Admit::Call { epoch }, None, Some(_)) =
            (failed, ticket.admit, r.slow_call, r.threshold)
        {
            self.hot.bump(SUCCESSES);
            self.core.closed_success(epoch);
            return;
        }
        self.finish(ticket, failed);
    }

    /// A call admitted with `ticket` ended without an outcome: a probe's
    /// place goes back.
    pub(crate) fn abandon(&self, ticket: Ticket) {
        if let Admit::Probe { epoch } = ticket.admit {
            self.core.probe_cancelled(epoch);
        }
    }

    #[cold]
    pub(crate) fn rejected(&self, why: Rejected) -> CircuitOpen {
        self.hot.bump(REJECTIONS);
        let retry_after = match why {
            Rejected::Until(until) => {
                Some(Duration::from_nanos(until.saturating_sub(clock::now())))
            }
            Rejected::Opening => Some(self.policy().grown_cooldown(self.core.reopens())),
            Rejected::Probing => Some(Duration::ZERO),
            Rejected::Isolated => None,
        };
        tracing::trace!(target: "resilient", breaker = self.head.name().as_str(), ?retry_after, "call rejected");
        CircuitOpen::new(self.head.name().clone(), retry_after)
    }

    #[inline(never)]
    fn finish(&self, ticket: Ticket, failed: bool) {
        let Ticket { admit, started } = ticket;
        let r = &self.policy().resolved;
        let slow = r
            .slow_call
            .is_some_and(|limit| clock::now().saturating_sub(started) > nanos(limit));
        // Without a slow rate of their own, slow calls are failures: in the
        // figures as in the state.
        let failure = failed || (slow && self.policy().slow_is_failure());
        if failure {
            self.failures.fetch_add(1, Relaxed);
        } else {
            self.hot.bump(SUCCESSES);
        }
        if slow {
            self.slow.fetch_add(1, Relaxed);
        }
        let core = &self.core;
        match admit {
            // A slow probe is no sign of recovery.
            Admit::Probe { epoch } if failure || slow => self
                .opening(core.reopens() + 1, |now, cooldown| {
                    core.probe_failure(epoch, now, cooldown)
                }),
            Admit::Probe { epoch } => {
                if let Some(change) = core.probe_success(epoch, r.close_after) {
                    self.transitioned(change, None);
                }
            }
            Admit::Call { epoch } => match r.threshold {
                Some(_) if !failure => core.closed_success(epoch),
                Some(threshold) => self.opening(0, |now, cooldown| {
                    core.closed_failure(epoch, threshold, now, cooldown)
                }),
                None => self.measure(
                    epoch,
                    Outcome {
                        failed: failure,
                        slow,
                    },
                ),
            },
        }
    }

    /// Rate mode: counts the outcome of a call admitted closed in `epoch`
    /// (a late one, from before a transition, is left out, as in
    /// consecutive mode) and judges the rates after every outcome.
    fn measure(&self, epoch: u32, outcome: Outcome) {
        if self.core.closed_epoch() != Some(epoch) {
            return;
        }
        let r = &self.policy().resolved;
        let now = match r.window {
            Window::Time(_) => clock::now(),
            Window::Calls(_) => 0,
        };
        let t = self.window.record(r.window, now, outcome);
        let reached = |part, share: Option<resilient_spec::circuit_breaker::Share>| {
            share.is_some_and(|s| s.reached(part, t.calls))
        };
        if t.calls >= u64::from(r.min_calls)
            && (reached(t.failures, r.failure_rate) || reached(t.slow, r.slow_rate))
        {
            self.opening(0, |now, cooldown| {
                let change = self.core.trip(epoch, now, cooldown);
                if change.is_some() {
                    self.opened_rate.store(rate(t).to_bits(), Relaxed);
                }
                change
            });
        }
    }

    /// Opens the breaker through `open(now, cooldown)`, with the cooldown
    /// due after `reopens` failed probes in a row.
    fn opening(&self, reopens: u32, open: impl FnOnce(u64, u64) -> Option<Change>) {
        let cooldown = self.cooldown(reopens);
        if let Some(change) = open(clock::now(), nanos(cooldown)) {
            self.transitioned(change, Some(cooldown));
        }
    }

    /// The cooldown after `reopens` failed probes in a row, with jitter;
    /// saturating at what `u64` nanoseconds hold.
    fn cooldown(&self, reopens: u32) -> Duration {
        let base = self.policy().grown_cooldown(reopens);
        let jitter = self.policy().resolved.cooldown_jitter;
        if jitter == 0.0 {
            return base;
        }
        let spread = rng::with(|rng| rng.random_range(-jitter..=jitter));
        let n = base.as_nanos() as f64 * (1.0 + spread);
        Duration::from_nanos(if n >= u64::MAX as f64 {
            u64::MAX
        } else {
            n as u64
        })
    }

    #[cold]
    fn transitioned(&self, change: Change, cooldown: Option<Duration>) {
        self.transitions.fetch_add(1, Relaxed);
        let (from, to) = (change.from.as_str(), change.to.as_str());
        let name = self.head.name();
        match change.to {
            State::Open => {
                self.opened.fetch_add(1, Relaxed);
                tracing::warn!(target: "resilient", breaker = name.as_str(), from, to, ?cooldown, reopens = change.reopens, "circuit opened");
            }
            State::HalfOpen => {
                tracing::info!(target: "resilient", breaker = name.as_str(), from, to, "circuit half-open: probing")
            }
            State::Closed => {
                // Closed again: the window measures afresh.
                self.window.clear();
                tracing::info!(target: "resilient", breaker = name.as_str(), from, to, "circuit closed")
            }
            State::Isolated => {
                tracing::warn!(target: "resilient", breaker = name.as_str(), from, to, "circuit isolated")
            }
        }
        #[cfg(feature = "metrics")]
        crate::export::transition(Listed::path(self), change.to, !H::PER_KEY);
        let transition = Transition {
            breaker: name.clone(),
            from: change.from,
            to: change.to,
            cooldown,
        };
        // Called outside the lock, so a listener may steer its breaker or
        // subscribe another; one that panics is reported, and the rest
        // still hear of it.
        let listeners: Vec<Arc<Listener>> = self
            .listeners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for listener in listeners {
            if catch_unwind(AssertUnwindSafe(|| listener(&transition))).is_err() {
                tracing::error!(target: "resilient", breaker = name.as_str(), from, to, "a transition listener panicked");
            }
        }
    }

    /// The breaker's state now. An open breaker whose cooldown is over says
    /// `Open` until a call moves it to `HalfOpen`.
    pub fn state(&self) -> State {
        self.core.state().0
    }

    /// How long until an open breaker lets a probe through (`None` unless
    /// open).
    pub fn retry_after(&self) -> Option<Duration> {
        match self.core.state() {
            (State::Open, Some(until)) => {
                Some(Duration::from_nanos(until.saturating_sub(clock::now())))
            }
            _ => None,
        }
    }

    /// The breaker's figures now.
    ///
    /// ```
    /// use resilient_core::circuit_breaker::{BreakerConfig, CircuitBreaker, State};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let breaker = CircuitBreaker::new("db", BreakerConfig::new().build().unwrap());
    /// breaker.try_acquire().unwrap().success();
    /// breaker.try_acquire().unwrap().failure();
    /// let s = breaker.snapshot();
    /// assert_eq!((s.calls, s.successes, s.failures, s.state), (2, 1, 1, State::Closed));
    /// assert_eq!(s.failure_rate, 0.5);
    /// # }
    /// ```
    pub fn snapshot(&self) -> BreakerSnapshot {
        let r = &self.policy().resolved;
        let successes = self.hot.sum(SUCCESSES);
        let failures = self.failures.load(Relaxed);
        let state = self.state();
        let failure_rate = match (r.threshold, state) {
            (Some(_), _) => ratio(failures, successes + failures),
            (None, State::Closed) => rate(self.window.tally(r.window, clock::now())),
            (None, _) => f64::from_bits(self.opened_rate.load(Relaxed)),
        };
        BreakerSnapshot {
            name: self.head.name().clone(),
            state,
            calls: successes + failures,
            successes,
            failures,
            slow: self.slow.load(Relaxed),
            rejections: self.hot.sum(REJECTIONS),
            transitions: self.transitions.load(Relaxed),
            opened: self.opened.load(Relaxed),
            failure_rate,
        }
    }

    /// Opens the breaker now, for a fresh cooldown, whatever its state; the
    /// usual probing follows. On an open breaker it restarts the cooldown,
    /// which is no transition.
    pub fn force_open(&self) {
        self.opening(self.core.reopens(), |now, cooldown| {
            self.core.force(State::Open, now, cooldown)
        });
    }

    /// Refuses every call until [`reset`](Self::reset): for maintenance,
    /// or to take a dependency out by hand. Refusals are permanent
    /// ([`CircuitOpen`] with no `retry_after`). The cooldown's growth is
    /// kept for a [`force_open`](Self::force_open) after it.
    pub fn isolate(&self) {
        if let Some(change) = self.core.force(State::Isolated, clock::now(), 0) {
            self.transitioned(change, None);
        }
    }

    /// Closes the breaker and forgets its failures, its window and its
    /// cooldown's growth, whatever its state (a transition only when it was
    /// not closed). Outcomes of calls admitted before it are left out.
    pub fn reset(&self) {
        let change = self.core.force(State::Closed, clock::now(), 0);
        self.window.clear();
        if let Some(change) = change {
            self.transitioned(change, None);
        }
    }

    /// [`reset`](Self::reset), and every figure back to zero: for tests.
    pub(crate) fn reset_all(&self) {
        self.reset();
        self.hot.clear();
        for a in [
            &self.failures,
            &self.slow,
            &self.transitions,
            &self.opened,
            &self.opened_rate,
        ] {
            a.store(0, Relaxed);
        }
    }

    /// Calls `listener` on every transition from now on, on the thread that
    /// made it. It may steer this breaker (`reset`, `isolate`); one that
    /// panics is reported with `tracing` and changes nothing.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use resilient_core::circuit_breaker::{BreakerConfig, CircuitBreaker, State};
    ///
    /// let breaker = CircuitBreaker::new("db", BreakerConfig::new().build().unwrap());
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// breaker.subscribe(move |t| log.lock().unwrap().push((t.from, t.to)));
    /// breaker.isolate();
    /// breaker.reset();
    /// assert_eq!(*seen.lock().unwrap(), [(State::Closed, State::Isolated), (State::Isolated, State::Closed)]);
    /// ```
    pub fn subscribe(&self, listener: impl Fn(&Transition) + Send + Sync + 'static) {
        self.listeners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Arc::new(listener));
    }
}

fn ratio(n: u64, d: u64) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

fn rate(t: Tally) -> f64 {
    ratio(t.failures, t.calls)
}

pin_project_lite::pin_project! {
    /// The future of [`CircuitBreaker::call`]: asks the breaker on its first
    /// poll, then runs the call and reports its outcome. Dropped before the
    /// call finished, it gives a probe's place back.
    #[must_use = "futures do nothing unless awaited"]
    pub struct BreakerCall<'b, F, T, E, H: Head = Owned> {
        breaker: &'b CircuitBreaker<H>,
        admission: Admission,
        record_if: fn(&E) -> bool,
        refuse: Option<&'b (dyn ClassifyResult<T> + Sync)>,
        metrics: Option<&'b Metrics>,
        reject: fn(CircuitOpen) -> E,
        #[pin]
        call: F,
    }

    impl<'b, F, T, E, H: Head> PinnedDrop for BreakerCall<'b, F, T, E, H> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Admission::Admitted(ticket) = *this.admission {
                this.breaker.abandon(ticket);
            }
        }
    }
}

/// Where a [`BreakerCall`] is with its breaker.
#[derive(Debug, Clone, Copy)]
enum Admission {
    NotAsked,
    /// Running, with the ticket to report the outcome (or give back).
    Admitted(Ticket),
    /// Refused, or its outcome reported.
    Settled,
}

impl<'b, F, T, E, H: Head> BreakerCall<'b, F, T, E, H> {
    /// `call` through `breaker`; a refusal becomes `reject(open)`.
    pub(crate) fn new(
        breaker: &'b CircuitBreaker<H>,
        record_if: fn(&E) -> bool,
        metrics: Option<&'b Metrics>,
        reject: fn(CircuitOpen) -> E,
        call: F,
    ) -> Self {
        BreakerCall {
            breaker,
            admission: Admission::NotAsked,
            record_if,
            refuse: None,
            metrics,
            reject,
            call,
        }
    }

    /// `call`, admitted already with `ticket` (which it now reports or
    /// gives back).
    #[cfg(feature = "tower")]
    pub(crate) fn admitted(
        breaker: &'b CircuitBreaker<H>,
        ticket: Ticket,
        metrics: Option<&'b Metrics>,
        reject: fn(CircuitOpen) -> E,
        call: F,
    ) -> Self {
        let mut this = BreakerCall::new(breaker, crate::fallback::always, metrics, reject, call);
        this.admission = Admission::Admitted(ticket);
        this
    }

    /// Also counts as failures the successful results `check` would
    /// retry (what a retry's `retry_on` refuses).
    ///
    /// ```
    /// use resilient_core::{BreakerConfig, CircuitBreaker, CircuitOpen, RetryOn};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let breaker = CircuitBreaker::new("status", BreakerConfig::new().threshold(1).build().unwrap());
    /// let unavailable = RetryOn(|s: &u16| *s == 503);
    /// let out: Result<u16, CircuitOpen> = breaker.call(async { Ok(503) }).refusing(&unavailable).await;
    /// assert_eq!(out.unwrap(), 503);
    /// assert_eq!(breaker.state(), resilient_core::circuit_breaker::State::Open);
    /// # }
    /// ```
    pub fn refusing(mut self, check: &'b (dyn ClassifyResult<T> + Sync)) -> Self {
        self.refuse = Some(check);
        self
    }
}

impl<T, E, F: Future<Output = Result<T, E>>, H: Head> Future for BreakerCall<'_, F, T, E, H> {
    type Output = Result<T, E>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The ticket stays in registers from admission to settling: read
        // back from memory right after being written there in parts, it
        // cost a stalled load on every call (a quarter of the breaker's
        // time in a profile).
        let ticket = match *this.admission {
            Admission::Admitted(ticket) => ticket,
            Admission::NotAsked => {
                // `admit()` by hand: through its `Result`, the fast path's
                // ticket went to memory and back again, stalling.
                let admitted = match this.breaker.admit_closed() {
                    Some(ticket) => ticket,
                    None => match this.breaker.admit_slowly() {
                        Ok(ticket) => ticket,
                        Err(why) => {
                            *this.admission = Admission::Settled;
                            let open = this.breaker.rejected(why);
                            if let Some(m) = this.metrics {
                                m.rejected();
                            }
                            return Poll::Ready(Err((this.reject)(open)));
                        }
                    },
                };
                *this.admission = Admission::Admitted(admitted);
                admitted
            }
            Admission::Settled => panic!("`BreakerCall` polled after it completed"),
        };
        let out = ready!(this.call.poll(cx));
        // Judged while the ticket is still held: if `record_if` panics, the
        // drop gives a probe's place back.
        let failed = match &out {
            Ok(v) => this
                .refuse
                .is_some_and(|check| check.classify_result(v).retry),
            Err(e) => (this.record_if)(e),
        };
        *this.admission = Admission::Settled;
        this.breaker.settle(ticket, failed);
        Poll::Ready(out)
    }
}

/// Leave to run one call through a [`CircuitBreaker`]. Report the outcome
/// with [`success`](Self::success) or [`failure`](Self::failure); dropping
/// the permit unreported counts neither, and a probe's place goes back.
#[derive(Debug)]
#[must_use = "report the call's outcome with `success()` or `failure()`"]
pub struct Permit<'a, H: Head = Owned> {
    breaker: &'a CircuitBreaker<H>,
    ticket: Ticket,
    done: bool,
}

/// What an admitted call holds until it settles.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket {
    admit: Admit,
    /// When the call started, if slow calls are timed.
    started: u64,
}

impl<H: Head> Permit<'_, H> {
    /// Whether this call is a half-open probe.
    pub fn is_probe(&self) -> bool {
        matches!(self.ticket.admit, Admit::Probe { .. })
    }

    /// The call succeeded.
    #[inline]
    pub fn success(mut self) {
        self.done = true;
        self.breaker.settle(self.ticket, false);
    }

    /// The call failed.
    pub fn failure(mut self) {
        self.done = true;
        self.breaker.settle(self.ticket, true);
    }
}

impl<H: Head> Drop for Permit<'_, H> {
    fn drop(&mut self) {
        if !self.done {
            self.breaker.abandon(self.ticket);
        }
    }
}
