//! The breaker's state machine: one atomic word and one timestamp, changed
//! only by compare-and-swap, so no caller ever waits on another.
//!
//! Time is passed in (nanoseconds on the breaker clock), which keeps this
//! module free of tokio and lets loom explore it.

use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

use crate::sync::{loom_const_fn, AtomicU64};

/// Where a breaker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Calls pass; failures are counted.
    Closed,
    /// Calls are rejected until the cooldown ends.
    Open,
    /// A few probe calls pass; their outcome closes or re-opens the breaker.
    HalfOpen,
    /// Forced open by hand: calls are rejected until a reset.
    Isolated,
}

impl State {
    #[inline]
    const fn from_bits(bits: u64) -> State {
        match bits & PHASE {
            0 => State::Closed,
            1 => State::Open,
            2 => State::HalfOpen,
            _ => State::Isolated,
        }
    }

    #[inline]
    const fn bits(self) -> u64 {
        match self {
            State::Closed => 0,
            State::Open => 1,
            State::HalfOpen => 2,
            State::Isolated => 3,
        }
    }

    /// The name used in `tracing` events: `"closed"`, `"open"`,
    /// `"half_open"`, `"isolated"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half_open",
            State::Isolated => "isolated",
        }
    }
}

// The state word:
//   bits 0..2   phase (State)
//   bit  2      PENDING: just opened, `open_until` not yet written
//   bits 3..8   failed probes in a row (cooldown growth), saturating at 31
//   bits 8..32  closed: consecutive failures, saturating
//               half-open: probe permits taken (8..20), successes (20..32)
//   bits 32..64 epoch: +1 on every transition and reset, so an outcome
//               from a call admitted before one is not applied after it
//               (it would take 2^32 of them during one call to confuse it)
const PHASE: u64 = 0b11;
const PENDING: u64 = 0b100;
const REOPENS_SHIFT: u32 = 3;
const REOPENS: u64 = 0x1F;
const COUNT_SHIFT: u32 = 8;
const FAILURES: u64 = 0xFF_FFFF << COUNT_SHIFT;
const TAKEN_SHIFT: u32 = 8;
const SUCCESS_SHIFT: u32 = 20;
const PROBES: u64 = 0xFFF;
const EPOCH_SHIFT: u32 = 32;

/// The most consecutive failures the word counts; thresholds are lower.
const MAX_FAILURES: u32 = 0xFF_FFFF;

#[derive(Clone, Copy, PartialEq, Eq)]
struct Word(u64);

impl Word {
    #[inline]
    fn new(state: State, reopens: u64, epoch: u32) -> Word {
        Word(state.bits() | (reopens & REOPENS) << REOPENS_SHIFT | (epoch as u64) << EPOCH_SHIFT)
    }
    #[inline]
    fn state(self) -> State {
        State::from_bits(self.0)
    }
    #[inline]
    fn pending(self) -> bool {
        self.0 & PENDING != 0
    }
    #[inline]
    fn epoch(self) -> u32 {
        (self.0 >> EPOCH_SHIFT) as u32
    }
    #[inline]
    fn reopens(self) -> u64 {
        self.0 >> REOPENS_SHIFT & REOPENS
    }
    #[inline]
    fn failures(self) -> u32 {
        ((self.0 & FAILURES) >> COUNT_SHIFT) as u32
    }
    #[inline]
    fn taken(self) -> u32 {
        (self.0 >> TAKEN_SHIFT & PROBES) as u32
    }
    #[inline]
    fn successes(self) -> u32 {
        (self.0 >> SUCCESS_SHIFT & PROBES) as u32
    }
    #[inline]
    fn with_failures(self, n: u32) -> Word {
        Word(self.0 & !FAILURES | (n.min(MAX_FAILURES) as u64) << COUNT_SHIFT)
    }
    #[inline]
    fn with_probes(self, taken: u32, successes: u32) -> Word {
        Word(
            self.0 & !FAILURES
                | (taken as u64 & PROBES) << TAKEN_SHIFT
                | (successes as u64 & PROBES) << SUCCESS_SHIFT,
        )
    }
    /// The first word of the next state, one epoch on.
    #[inline]
    fn next(self, state: State, reopens: u64) -> Word {
        Word::new(state, reopens, self.epoch().wrapping_add(1))
    }
}

/// What the state machine says to a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admit {
    /// Closed: run the call.
    Call { epoch: u32 },
    /// Half-open: run the call as one of the probes.
    Probe { epoch: u32 },
}

/// Why a call was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejected {
    /// Open until this time.
    Until(u64),
    /// Opening this very moment; the full cooldown is ahead.
    Opening,
    /// Half-open with every probe permit taken.
    Probing,
    /// Isolated by hand.
    Isolated,
}

/// A transition made by one caller; exactly one caller makes each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) from: State,
    pub(crate) to: State,
    /// Failed probes in a row when the breaker opened (0 otherwise).
    pub(crate) reopens: u32,
}

/// The state machine of one breaker.
#[derive(Debug)]
pub(crate) struct Core {
    state: AtomicU64,
    /// When the breaker may let a probe through; meaningful while the state
    /// is `Open` without `PENDING`.
    open_until: AtomicU64,
}

impl Core {
    loom_const_fn! {
        pub(crate) fn new() -> Core {
            Core {
                state: AtomicU64::new(0),
                open_until: AtomicU64::new(0),
            }
        }
    }

    #[inline]
    fn load(&self) -> Word {
        Word(self.state.load(Acquire))
    }

    #[inline]
    fn cas(&self, current: Word, new: Word) -> Result<(), Word> {
        self.state
            .compare_exchange(current.0, new.0, AcqRel, Acquire)
            .map(drop)
            .map_err(Word)
    }

    /// The state, and the end of the cooldown when open.
    pub(crate) fn state(&self) -> (State, Option<u64>) {
        let w = self.load();
        match w.state() {
            State::Open if !w.pending() => (State::Open, Some(self.open_until.load(Relaxed))),
            s => (s, None),
        }
    }

    /// A breaker whose epoch starts at `epoch`: for tests across the wrap.
    #[cfg(all(test, not(loom)))]
    #[allow(dead_code)]
    pub(crate) fn at_epoch(epoch: u32) -> Core {
        Core {
            state: AtomicU64::new(Word::new(State::Closed, 0, epoch).0),
            open_until: AtomicU64::new(0),
        }
    }

    /// The epoch, if closed: the admission of nearly every call.
    #[inline]
    pub(crate) fn closed_epoch(&self) -> Option<u32> {
        let w = self.load();
        (w.state() == State::Closed).then(|| w.epoch())
    }

    /// Asks to run a call at `now`. Moves an open breaker whose cooldown is
    /// over to half-open; admits at most `half_open` probes there.
    #[inline]
    pub(crate) fn acquire(
        &self,
        now: impl Fn() -> u64,
        half_open: u32,
    ) -> Result<(Admit, Option<Change>), Rejected> {
        let mut w = self.load();
        loop {
            let next = match w.state() {
                State::Closed => return Ok((Admit::Call { epoch: w.epoch() }, None)),
                State::Isolated => return Err(Rejected::Isolated),
                State::Open if w.pending() => return Err(Rejected::Opening),
                State::Open => {
                    let until = self.open_until.load(Relaxed);
                    if now() < until {
                        return Err(Rejected::Until(until));
                    }
                    w.next(State::HalfOpen, w.reopens()).with_probes(1, 0)
                }
                State::HalfOpen if w.taken() >= half_open => return Err(Rejected::Probing),
                State::HalfOpen => w.with_probes(w.taken() + 1, w.successes()),
            };
            match self.cas(w, next) {
                Ok(()) => {
                    let change = (w.state() == State::Open).then_some(Change {
                        from: State::Open,
                        to: State::HalfOpen,
                        reopens: 0,
                    });
                    return Ok((
                        Admit::Probe {
                            epoch: next.epoch(),
                        },
                        change,
                    ));
                }
                Err(actual) => w = actual,
            }
        }
    }

    /// A call admitted closed in `epoch` succeeded. Writes nothing unless
    /// there are failures to forget.
    #[inline]
    pub(crate) fn closed_success(&self, epoch: u32) {
        let mut w = self.load();
        while w.state() == State::Closed && w.epoch() == epoch && w.failures() != 0 {
            match self.cas(w, w.with_failures(0)) {
                Ok(()) => return,
                Err(actual) => w = actual,
            }
        }
    }

    /// A call admitted closed in `epoch` failed: one more consecutive
    /// failure, and at `threshold` the breaker opens for `cooldown`.
    pub(crate) fn closed_failure(
        &self,
        epoch: u32,
        threshold: u32,
        now: u64,
        cooldown: u64,
    ) -> Option<Change> {
        let mut w = self.load();
        while w.state() == State::Closed && w.epoch() == epoch {
            let failures = w.failures().saturating_add(1);
            if failures >= threshold {
                match self.open(w, 0, now, cooldown) {
                    Ok(change) => return Some(change),
                    Err(actual) => w = actual,
                }
            } else {
                match self.cas(w, w.with_failures(failures)) {
                    Ok(()) => return None,
                    Err(actual) => w = actual,
                }
            }
        }
        None
    }

    /// Opens a breaker that is still closed in `epoch` (a failure rate was
    /// reached).
    pub(crate) fn trip(&self, epoch: u32, now: u64, cooldown: u64) -> Option<Change> {
        let mut w = self.load();
        while w.state() == State::Closed && w.epoch() == epoch {
            match self.open(w, 0, now, cooldown) {
                Ok(change) => return Some(change),
                Err(actual) => w = actual,
            }
        }
        None
    }

    /// A probe of `epoch` succeeded; `close_after` successes close the
    /// breaker.
    pub(crate) fn probe_success(&self, epoch: u32, close_after: u32) -> Option<Change> {
        let mut w = self.load();
        while w.state() == State::HalfOpen && w.epoch() == epoch {
            let successes = w.successes() + 1;
            let (next, change) = if successes >= close_after {
                let change = Change {
                    from: State::HalfOpen,
                    to: State::Closed,
                    reopens: 0,
                };
                (w.next(State::Closed, 0), Some(change))
            } else {
                (w.with_probes(w.taken(), successes), None)
            };
            match self.cas(w, next) {
                Ok(()) => return change,
                Err(actual) => w = actual,
            }
        }
        None
    }

    /// Probe permits taken in the half-open spell now (0 otherwise).
    #[cfg(all(test, loom))]
    pub(crate) fn probes_taken(&self) -> u32 {
        let w = self.load();
        if w.state() == State::HalfOpen {
            w.taken()
        } else {
            0
        }
    }

    /// Failed probes in a row so far: the next re-open's growth step.
    pub(crate) fn reopens(&self) -> u32 {
        self.load().reopens() as u32
    }

    /// A probe of `epoch` failed: open again for `cooldown`.
    pub(crate) fn probe_failure(&self, epoch: u32, now: u64, cooldown: u64) -> Option<Change> {
        let mut w = self.load();
        while w.state() == State::HalfOpen && w.epoch() == epoch {
            let reopens = (w.reopens() + 1).min(REOPENS);
            // (31 doublings cap any cooldown.)
            match self.open(w, reopens, now, cooldown) {
                Ok(change) => return Some(change),
                Err(actual) => w = actual,
            }
        }
        None
    }

    /// A probe of `epoch` ended without an outcome (its future was dropped,
    /// or it panicked): its permit goes back.
    pub(crate) fn probe_cancelled(&self, epoch: u32) {
        let mut w = self.load();
        while w.state() == State::HalfOpen && w.epoch() == epoch && w.taken() > 0 {
            match self.cas(w, w.with_probes(w.taken() - 1, w.successes())) {
                Ok(()) => return,
                Err(actual) => w = actual,
            }
        }
    }

    /// Moves to `to` whatever the state: an operator's hand.
    ///
    /// - `Open` starts a cooldown of `cooldown`; on an open breaker it only
    ///   restarts the cooldown, which is no transition.
    /// - `Isolated` keeps the cooldown's growth, for a `force(Open)` after.
    /// - `Closed` is a reset: failures and growth forgotten, one epoch on,
    ///   even when already closed (a transition only when it was not).
    pub(crate) fn force(&self, to: State, now: u64, cooldown: u64) -> Option<Change> {
        let mut w = self.load();
        loop {
            let result = match to {
                State::Open => self.open(w, w.reopens(), now, cooldown),
                State::Isolated if w.state() == State::Isolated => return None,
                State::Isolated => self.cas(w, w.next(to, w.reopens())).map(|()| Change {
                    from: w.state(),
                    to,
                    reopens: 0,
                }),
                State::Closed | State::HalfOpen => self.cas(w, w.next(to, 0)).map(|()| Change {
                    from: w.state(),
                    to,
                    reopens: 0,
                }),
            };
            match result {
                Ok(change) if change.from == change.to => return None,
                Ok(change) => return Some(change),
                Err(actual) => w = actual,
            }
        }
    }

    /// Opens from `w`: claims the transition, writes the cooldown's end, then
    /// publishes it. Callers that see the claim in between are rejected as
    /// `Opening`.
    fn open(&self, w: Word, reopens: u64, now: u64, cooldown: u64) -> Result<Change, Word> {
        let claimed = Word(w.next(State::Open, reopens).0 | PENDING);
        self.cas(w, claimed)?;
        self.open_until.store(now.saturating_add(cooldown), Relaxed);
        // A forced transition may have replaced the claim; then it stands.
        let _ = self
            .state
            .compare_exchange(claimed.0, claimed.0 & !PENDING, Release, Relaxed);
        Ok(Change {
            from: w.state(),
            to: State::Open,
            reopens: reopens as u32,
        })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    const T: u64 = 1_000;

    #[test]
    fn trips_after_threshold_consecutive_failures() {
        let core = Core::new();
        let Ok((Admit::Call { epoch }, None)) = core.acquire(|| 0, 1) else {
            panic!()
        };
        assert_eq!(core.closed_failure(epoch, 3, 0, T), None);
        assert_eq!(core.closed_failure(epoch, 3, 0, T), None);
        core.closed_success(epoch);
        assert_eq!(core.closed_failure(epoch, 3, 0, T), None);
        assert_eq!(core.closed_failure(epoch, 3, 0, T), None);
        let change = core.closed_failure(epoch, 3, 5, T).unwrap();
        assert_eq!((change.from, change.to), (State::Closed, State::Open));
        assert_eq!(core.state(), (State::Open, Some(5 + T)));
        assert_eq!(core.acquire(|| 5 + T - 1, 1), Err(Rejected::Until(5 + T)));
    }

    #[test]
    fn half_open_admits_the_set_number_of_probes() {
        let core = Core::new();
        core.force(State::Open, 0, T);
        let (Admit::Probe { epoch }, Some(change)) = core.acquire(|| T, 2).unwrap() else {
            panic!()
        };
        assert_eq!(change.to, State::HalfOpen);
        assert_eq!(
            core.acquire(|| T, 2).unwrap(),
            (Admit::Probe { epoch }, None)
        );
        assert_eq!(core.acquire(|| T, 2), Err(Rejected::Probing));
        core.probe_cancelled(epoch);
        assert_eq!(
            core.acquire(|| T, 2).unwrap(),
            (Admit::Probe { epoch }, None)
        );
        assert_eq!(core.probe_success(epoch, 2), None);
        assert_eq!(core.probe_success(epoch, 2).unwrap().to, State::Closed);
        // An outcome from the spent epoch changes nothing.
        assert_eq!(core.probe_failure(epoch, T, T), None);
        assert_eq!(core.state(), (State::Closed, None));
    }

    #[test]
    fn a_failed_probe_reopens_and_counts_reopens() {
        let core = Core::new();
        core.force(State::Open, 0, T);
        for n in 1..=3u32 {
            let now = n as u64 * 10 * T;
            let (Admit::Probe { epoch }, _) = core.acquire(|| now, 1).unwrap() else {
                panic!()
            };
            let change = core.probe_failure(epoch, now, T).unwrap();
            assert_eq!((change.from, change.reopens), (State::HalfOpen, n));
            assert_eq!(core.reopens(), n);
        }
        let (Admit::Probe { epoch }, _) = core.acquire(|| 100 * T, 1).unwrap() else {
            panic!()
        };
        core.probe_success(epoch, 1).unwrap();
        assert_eq!(core.reopens(), 0);
    }

    #[test]
    fn isolation_rejects_until_reset() {
        let core = Core::new();
        core.force(State::Isolated, 0, T);
        assert_eq!(core.acquire(|| u64::MAX, 1), Err(Rejected::Isolated));
        assert_eq!(
            core.force(State::Closed, 0, T).unwrap().from,
            State::Isolated
        );
        assert!(matches!(
            core.acquire(|| 0, 1),
            Ok((Admit::Call { .. }, None))
        ));
    }
}
