//! Self-healing: on failure, diagnose, run a remedy, and try again.
//!
//! A diagnoser looks at the error (and the call's arguments), may fix what
//! it can (re-encode a file, refresh a token, reconnect, clean up an
//! image), and returns a [`Heal`] decision. One remedy runs at a time per
//! function: calls that fail while it runs wait for it and share its
//! decision, so ten failing callers reconnect once and learn the outcome
//! together; a call that started before a remedy finished and fails after
//! it tries again without diagnosing.
//!
//! A diagnosis is bounded by the healer's `timeout` and by the call's
//! deadline; so is the wait for another call's. A diagnoser that panics or
//! is cancelled hands the remedy slot to the next failing call.
//!
//! `#[self_heal]` writes the rounds; a healer's figures are read by name:
//!
//! ```
//! use std::time::Duration;
//! use resilient_core::heal::{HealConfig, HealPolicy, Healer};
//!
//! const POLICY: HealPolicy = match HealConfig::new().max(3).backoff(Duration::from_millis(500)).build() {
//!     Ok(p) => p,
//!     Err(_) => panic!(),
//! };
//! static UPLOAD: Healer = Healer::new("upload", POLICY);
//! assert_eq!(UPLOAD.policy().backoff(2), Duration::from_secs(2)); // 0.5 s, 1 s, 2 s
//! assert_eq!(UPLOAD.snapshot().healed, 0);
//! ```

use std::fmt::Display;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use resilient_spec::heal::{self as spec, Resolved, Settings};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::context::Call;
use crate::registry::{self, Handle, Listed};
use crate::{ConfigError, RetryPolicy, Show, Step};

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

/// The settings of self-healing, checked by [`build`](HealConfig::build).
///
/// # Default
/// | setting | default |
/// |---|---|
/// | `max` | 2 heal rounds |
/// | `backoff` | 100 ms before the first round, doubling each round |
/// | `timeout` | none: each diagnosis is bounded by the call's deadline only |
///
/// ```
/// use std::time::Duration;
/// use resilient_core::heal::HealConfig;
///
/// let policy = HealConfig::new().max(3).timeout(Duration::from_secs(5)).build().unwrap();
/// assert_eq!(policy.max(), 3);
/// assert_eq!(HealConfig::new().max(0).build().unwrap_err().to_string(), "`max` must be at least 1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HealConfig {
    settings: Settings,
    then: Option<RetryPolicy>,
}

impl Default for HealConfig {
    fn default() -> Self {
        HealConfig::new()
    }
}

impl HealConfig {
    /// The defaults listed above.
    pub const fn new() -> Self {
        HealConfig {
            settings: Settings::NEW,
            then: None,
        }
    }

    #[cfg(feature = "policy-files")]
    pub(crate) const fn from_settings(settings: Settings) -> Self {
        HealConfig {
            settings,
            then: None,
        }
    }

    crate::private::config_doors!(HealPolicy);

    /// Heal rounds at most; at least 1.
    pub const fn max(mut self, rounds: u32) -> Self {
        self.settings.max = Some(rounds);
        self.settings.written.mark(&spec::MAX);
        self
    }

    /// The wait before the first round; it doubles each round.
    pub const fn backoff(mut self, backoff: Duration) -> Self {
        self.settings.backoff = Some(backoff);
        self.settings.written.mark(&spec::BACKOFF);
        self
    }

    /// A limit on each diagnosis (and on the wait for another call's).
    pub const fn timeout(mut self, limit: Duration) -> Self {
        self.settings.timeout = Some(limit);
        self.settings.written.mark(&spec::TIMEOUT);
        self
    }

    /// The tutorial's shape: diagnose once, apply the fix, then run the
    /// original call again on `retries`' schedule (its first attempt at
    /// once, the next after its backoff), without diagnosing again. Not with
    /// [`max`](Self::max) or [`backoff`](Self::backoff); the retries' time
    /// limits (`timeout`, `deadline`) do not apply here: put them on the
    /// layers inside.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilient_core::heal::HealConfig;
    /// use resilient_core::RetryConfig;
    ///
    /// let retries = RetryConfig::new().max_retries(2).backoff(Duration::from_millis(500)).build().unwrap();
    /// let policy = HealConfig::new().then(retries).build().unwrap();
    /// assert_eq!(policy.max(), 1);
    /// let err = HealConfig::new().then(retries).max(3).build().unwrap_err();
    /// assert_eq!(err.field(), "max");
    /// ```
    pub const fn then(mut self, retries: RetryPolicy) -> Self {
        self.then = Some(retries);
        self.settings.written.mark(&spec::THEN);
        self
    }

    /// Checks the settings and makes the policy.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first setter whose value breaks a rule:
    /// no rounds, a zero duration, or one longer than 584 years.
    pub const fn build(self) -> Result<HealPolicy, ConfigError> {
        match spec::check(&self.settings).first() {
            Some(v) => Err(ConfigError::new(v)),
            None => Ok(HealPolicy {
                resolved: match self.then {
                    // One diagnosis, then the retries.
                    Some(_) => spec::Resolved {
                        max: 1,
                        backoff: Duration::ZERO,
                        ..self.settings.resolve()
                    },
                    None => self.settings.resolve(),
                },
                then: self.then,
            }),
        }
    }
}

/// A checked self-healing policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HealPolicy {
    resolved: Resolved,
    /// After the diagnosis, the original call's retries.
    then: Option<RetryPolicy>,
}

impl HealPolicy {
    /// The policy of [`HealConfig::new`]'s defaults.
    pub const DEFAULT: HealPolicy = match HealConfig::new().build() {
        Ok(p) => p,
        Err(_) => panic!("the defaults pass their own rules"),
    };

    /// Heal rounds at most.
    pub const fn max(&self) -> u32 {
        self.resolved.max
    }

    /// The wait before round `round` (from 0): `backoff × 2^round`,
    /// saturating.
    pub fn backoff(&self, round: u32) -> Duration {
        self.resolved
            .backoff
            .saturating_mul(2u32.saturating_pow(round))
    }
}

/// A decision as the remedy slot keeps it for the calls that wait on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shared {
    Decided(Heal),
    /// The diagnoser panicked or was dropped: the next caller diagnoses.
    Abandoned,
}

#[derive(Debug, Default)]
struct Slot {
    /// Remedies that ran (a decision other than `GiveUp`).
    generation: u64,
    /// The run in progress, by number.
    running: Option<u64>,
    runs: u64,
    /// The latest run to end, and how.
    last: Option<(u64, Shared)>,
}

/// The self-healing state of one function: its single remedy slot and its
/// figures.
#[derive(Debug)]
pub struct Healer {
    name: &'static str,
    module: &'static str,
    policy: HealPolicy,
    slot: Mutex<Slot>,
    ended: Notify,
    diagnosed: AtomicU64,
    joined: AtomicU64,
    healed: AtomicU64,
    gave_up: AtomicU64,
}

impl Listed for Healer {
    fn name(&self) -> &str {
        self.name
    }
    fn module(&self) -> &str {
        self.module
    }
}

impl Healer {
    #[cfg(feature = "metrics")]
    #[cold]
    fn export(&self, event: &'static str) {
        crate::export::heal(Listed::path(self), event);
    }

    /// The healer called `name`, with `policy`.
    pub const fn new(name: &'static str, policy: HealPolicy) -> Self {
        Healer::of_function(name, "", policy)
    }

    /// The healer of the function `name` in `module`.
    #[doc(hidden)]
    pub const fn of_function(name: &'static str, module: &'static str, policy: HealPolicy) -> Self {
        Healer {
            name,
            module,
            policy,
            slot: Mutex::new(Slot {
                generation: 0,
                running: None,
                runs: 0,
                last: None,
            }),
            ended: Notify::const_new(),
            diagnosed: AtomicU64::new(0),
            joined: AtomicU64::new(0),
            healed: AtomicU64::new(0),
            gave_up: AtomicU64::new(0),
        }
    }

    /// The healer's policy.
    pub const fn policy(&self) -> &HealPolicy {
        &self.policy
    }

    fn slot(&self) -> MutexGuard<'_, Slot> {
        // No user code runs under this lock.
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
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

    /// Every figure back to zero: for tests.
    pub(crate) fn reset(&self) {
        for a in [&self.diagnosed, &self.joined, &self.healed, &self.gave_up] {
            a.store(0, Relaxed);
        }
    }

    /// Ends run `run` with `how`, and wakes the calls waiting on it.
    fn end(&self, run: u64, how: Shared) {
        let mut slot = self.slot();
        if slot.running == Some(run) {
            slot.running = None;
            slot.last = Some((run, how));
            if let Shared::Decided(Heal::Retry | Heal::RetryAfter(_)) = how {
                slot.generation += 1;
            }
        }
        drop(slot);
        self.ended.notify_waiters();
    }
}

/// Hands the slot on if the leader's diagnosis never ends (it panicked, or
/// its call was dropped).
struct Leading<'h> {
    healer: &'h Healer,
    run: u64,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        self.healer.end(self.run, Shared::Abandoned);
    }
}

/// What a failed call does about the remedy slot.
enum Role {
    /// A remedy ended since this round started: just try again.
    Overtaken,
    /// Run the diagnosis.
    Lead(u64),
    /// Wait for run `n` and share its decision.
    Wait(u64),
}

/// The self-healing layer of one call: asked after each round what to do
/// next. The expansion of `#[self_heal]` drives it.
#[doc(hidden)]
#[derive(Debug)]
pub struct Healing<'h> {
    healer: &'h Healer,
    round: u32,
    seen: u64,
    /// With `then`, once the fix is in: the retries made, and the last
    /// delay.
    retrying: Option<(u32, Duration)>,
}

impl<'h> Healing<'h> {
    /// Starts healing one call with `healer`.
    #[inline]
    pub fn new(healer: &'h Healer) -> Self {
        crate::timer::check(healer.name);
        Healing {
            healer,
            round: 0,
            seen: 0,
            retrying: None,
        }
    }

    /// A round starts: remembers which remedies it has seen.
    #[inline]
    pub fn round(&mut self) {
        self.seen = self.healer.slot().generation;
    }

    /// What follows a round's outcome: done, or heal this error.
    #[inline]
    pub fn after<T, E>(&mut self, out: Result<T, E>, show: Show<E>) -> Step<T, E> {
        match out {
            Ok(value) => {
                if self.round > 0 {
                    self.healed();
                }
                Step::Done(Ok(value))
            }
            Err(error) => match (self.retrying, self.healer.policy.then) {
                (Some(done), Some(then)) => match self.then_delay(&then, done) {
                    Some(delay) => Step::Retry(delay),
                    None => {
                        self.spent(show(&error));
                        Step::Done(Err(error))
                    }
                },
                _ if self.round >= self.healer.policy.max() => {
                    self.spent(show(&error));
                    Step::Done(Err(error))
                }
                _ => Step::Heal(error),
            },
        }
    }

    /// After the fix, the wait before the next retry of `then`, or `None`
    /// when its retries are spent.
    #[cold]
    fn then_delay(
        &mut self,
        then: &RetryPolicy,
        (retries, previous): (u32, Duration),
    ) -> Option<Duration> {
        if retries >= then.max_retries() {
            return None;
        }
        let delay = crate::rng::with(|rng| then.delay(retries, previous, None, rng))?;
        self.retrying = Some((retries + 1, delay));
        tracing::info!(target: "resilient", function = self.healer.name, retry = retries + 1, ?delay, "retrying after the fix");
        Some(delay)
    }

    #[cold]
    fn healed(&self) {
        let h = self.healer;
        h.healed.fetch_add(1, Relaxed);
        #[cfg(feature = "metrics")]
        h.export("healed");
        tracing::info!(target: "resilient", function = h.name, rounds = self.round, "healed");
    }

    #[cold]
    fn spent(&self, error: &dyn Display) {
        let h = self.healer;
        h.gave_up.fetch_add(1, Relaxed);
        #[cfg(feature = "metrics")]
        h.export("gave_up");
        tracing::warn!(target: "resilient", function = h.name, rounds = self.round, error = %error, "self-healing gave up: no rounds left");
    }

    /// After a round failed with `error`: runs `diagnose` (one remedy at a
    /// time per function), or waits for the remedy another call is running
    /// and shares its decision, or, if a remedy ended since the round
    /// started, just tries again. Returns the wait before the next round
    /// (`backoff × 2^round`, or longer if the diagnoser asks), or `None` to
    /// give up: the diagnoser said so, or its time (or the call's
    /// deadline) ran out.
    ///
    /// The returned future holds neither `error` nor `call`, so it is
    /// `Send` when `diagnose`'s is.
    pub fn remedy<'a, D, F>(
        &'a mut self,
        call: &Call<'_>,
        error: &dyn Display,
        diagnose: D,
    ) -> impl Future<Output = Option<Duration>> + use<'a, 'h, D, F>
    where
        D: FnOnce() -> F,
        F: Future<Output = Heal>,
    {
        let h = self.healer;
        tracing::info!(target: "resilient", function = h.name, round = self.round, error = %error, "call failed; healing");
        let backoff = h.policy.backoff(self.round);
        let limit = limit(h.policy.resolved.timeout, call.deadline());
        let deadline = call.deadline();
        async move {
            let decision = match self.role() {
                Role::Overtaken => {
                    h.joined.fetch_add(1, Relaxed);
                    #[cfg(feature = "metrics")]
                    h.export("joined");
                    tracing::debug!(target: "resilient", function = h.name, "a remedy ran meanwhile; trying again");
                    Heal::Retry
                }
                Role::Lead(run) => lead(h, run, limit, diagnose).await,
                Role::Wait(mut run) => loop {
                    match wait(h, run, limit).await {
                        Some(Shared::Decided(d)) => {
                            h.joined.fetch_add(1, Relaxed);
                            #[cfg(feature = "metrics")]
                            h.export("joined");
                            tracing::debug!(target: "resilient", function = h.name, decision = ?d, "shared another call's remedy");
                            break d;
                        }
                        // The leader is gone: take over, or wait again.
                        Some(Shared::Abandoned) => match self.role() {
                            Role::Lead(next) => break lead(h, next, limit, diagnose).await,
                            Role::Wait(next) => run = next,
                            Role::Overtaken => break Heal::Retry,
                        },
                        None => break Heal::GiveUp,
                    }
                },
            };
            let delay = match decision {
                Heal::Retry => Some(backoff),
                Heal::RetryAfter(wait) => Some(wait.max(backoff)),
                Heal::GiveUp => None,
            };
            // No round may start at or past the call's deadline.
            let delay = delay.filter(|d| {
                deadline.is_none_or(|end| Instant::now().checked_add(*d).is_some_and(|t| t < end))
            });
            match delay {
                Some(_) => {
                    self.round += 1;
                    if let Some(then) = h.policy.then {
                        // The fix is in: the original call's retries follow.
                        self.retrying = Some((0, then.resolved.backoff));
                    }
                }
                None => {
                    h.gave_up.fetch_add(1, Relaxed);
                    #[cfg(feature = "metrics")]
                    h.export("gave_up");
                    tracing::warn!(target: "resilient", function = h.name, round = self.round, ?decision, "self-healing gave up");
                }
            }
            delay
        }
    }

    /// Claims the slot, or says whom to wait for.
    fn role(&mut self) -> Role {
        let mut slot = self.healer.slot();
        if slot.generation != self.seen {
            self.seen = slot.generation;
            return Role::Overtaken;
        }
        match slot.running {
            Some(run) => Role::Wait(run),
            None => {
                slot.runs += 1;
                let run = slot.runs;
                slot.running = Some(run);
                Role::Lead(run)
            }
        }
    }
}

/// The time a diagnosis (or a wait for one) may take: the healer's
/// `timeout`, and what is left of the call's deadline.
fn limit(timeout: Option<Duration>, deadline: Option<Instant>) -> Option<Instant> {
    let by_timeout = timeout.and_then(|t| Instant::now().checked_add(t));
    match (by_timeout, deadline) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Runs the diagnosis as run `run`, within `limit`.
async fn lead<D, F>(h: &Healer, run: u64, limit: Option<Instant>, diagnose: D) -> Heal
where
    D: FnOnce() -> F,
    F: Future<Output = Heal>,
{
    let leading = Leading { healer: h, run };
    h.diagnosed.fetch_add(1, Relaxed);
    #[cfg(feature = "metrics")]
    h.export("diagnosed");
    tracing::info!(target: "resilient", function = h.name, "diagnosing");
    let diagnosis = diagnose();
    let decision = match limit {
        None => diagnosis.await,
        Some(at) => match crate::timer::timeout_at(at, diagnosis).await {
            Some(d) => d,
            None => {
                tracing::warn!(target: "resilient", function = h.name, "diagnosis ran out of time");
                Heal::GiveUp
            }
        },
    };
    std::mem::forget(leading);
    h.end(run, Shared::Decided(decision));
    tracing::info!(target: "resilient", function = h.name, ?decision, "diagnosed");
    decision
}

/// Waits for run `run` to end, within `limit`: `None` when time ran out.
async fn wait(h: &Healer, run: u64, limit: Option<Instant>) -> Option<Shared> {
    let waiting = async {
        loop {
            let ended = h.ended.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            {
                let slot = h.slot();
                match slot.last {
                    Some((r, how)) if r == run => return how,
                    // Ended, and another run ended since: it was decided.
                    Some((r, _)) if r > run => return Shared::Decided(Heal::Retry),
                    _ if slot.running != Some(run) => return Shared::Abandoned,
                    _ => {}
                }
            }
            ended.await;
        }
    };
    match limit {
        None => Some(waiting.await),
        Some(at) => crate::timer::timeout_at(at, waiting).await,
    }
}

/// One function's self-healing figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealSnapshot {
    /// The function's name.
    pub name: &'static str,
    /// Diagnoses run: heals attempted.
    pub diagnosed: u64,
    /// Failed calls that shared another call's remedy instead.
    pub joined: u64,
    /// Calls that succeeded after at least one heal round: heals that worked.
    pub healed: u64,
    /// Calls returned with their error: the diagnoser gave up, time or the
    /// rounds ran out.
    pub gave_up: u64,
}

/// The healer of the function at `name` (its full path, or its bare name
/// while unambiguous), found before its first call.
pub fn get(name: &str) -> Option<Handle<Healer>> {
    registry::get(name)
}

/// Every listed healer.
pub fn all() -> Vec<Handle<Healer>> {
    registry::all()
}
