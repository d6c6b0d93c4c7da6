//! Model-based test of the circuit breaker: a small reference model,
//! written from the documentation alone and plainly correct, and random
//! sequences of operations (calls that succeed, fail, run slow, are
//! cancelled or report late; clock advances; reset, force_open, isolate),
//! compared with the breaker after every step: its state, every refusal
//! and its wait, and its snapshot.
//!
//! Each of five configurations (consecutive, count window, time window,
//! slow calls as failures, a slow rate of their own) runs `CASES` random
//! sequences of up to 60 operations, with a listener that panics on every
//! transition beside one that counts them.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use resilient_core::circuit_breaker::{BreakerConfig, CircuitBreaker, Permit, State, Window};

/// Sequences per configuration, in `cargo test`.
const CASES: u32 = 256;

/// The clock's unit: every advance is a whole number of them, so a time
/// window's buckets (one unit each) fall alike for the model and the
/// breaker.
const UNIT: Duration = Duration::from_millis(1);

#[derive(Debug, Clone, Copy)]
enum Op {
    Acquire,
    Report { which: usize, failed: bool },
    Cancel { which: usize },
    Advance(u32),
    Reset,
    ForceOpen,
    Isolate,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => Just(Op::Acquire),
        6 => (any::<usize>(), any::<bool>()).prop_map(|(which, failed)| Op::Report { which, failed }),
        1 => any::<usize>().prop_map(|which| Op::Cancel { which }),
        4 => (1u32..15).prop_map(Op::Advance),
        1 => Just(Op::Reset),
        1 => Just(Op::ForceOpen),
        1 => Just(Op::Isolate),
    ]
}

/// The settings both sides run with, in units.
#[derive(Debug, Clone, Copy)]
struct Config {
    threshold: Option<u32>,
    rate: Option<f64>,
    slow_rate: Option<f64>,
    window: Option<Window>,
    min_calls: u32,
    cooldown: u32,
    max_cooldown: Option<u32>,
    half_open: u32,
    close_after: u32,
    /// In units, plus half a unit: a call slower than this is slow.
    slow_call: Option<u32>,
}

impl Config {
    fn breaker(&self) -> CircuitBreaker {
        let mut c = BreakerConfig::new()
            .cooldown(UNIT * self.cooldown)
            .half_open(self.half_open)
            .close_after(self.close_after);
        if let Some(t) = self.threshold {
            c = c.threshold(t);
        }
        if let Some(r) = self.rate {
            c = c.failure_rate(r).min_calls(self.min_calls);
        }
        if let Some(w) = self.window {
            c = c.window(w);
        }
        if let Some(m) = self.max_cooldown {
            c = c.max_cooldown(UNIT * m);
        }
        if let Some(s) = self.slow_call {
            c = c.slow_call(UNIT * s + UNIT / 2);
        }
        if let Some(r) = self.slow_rate {
            c = c.slow_rate(r);
        }
        CircuitBreaker::new("model", c.build().expect("a valid configuration"))
    }
}

/// A permit as the model sees it.
#[derive(Debug, Clone, Copy)]
struct Ticket {
    epoch: u64,
    probe: bool,
    started: u64,
}

/// The breaker as its documentation describes it.
#[derive(Debug)]
struct Model {
    c: Config,
    now: u64,
    state: State,
    epoch: u64,
    consecutive: u32,
    /// Outcomes in the window since it last cleared: (time, failed, slow).
    window: VecDeque<(u64, bool, bool)>,
    open_until: u64,
    reopens: u32,
    taken: u32,
    probe_successes: u32,
    successes: u64,
    failures: u64,
    slow: u64,
    rejections: u64,
    transitions: u64,
    opened: u64,
    opened_rate: f64,
}

impl Model {
    fn new(c: Config) -> Self {
        Model {
            c,
            now: 0,
            state: State::Closed,
            epoch: 0,
            consecutive: 0,
            window: VecDeque::new(),
            open_until: 0,
            reopens: 0,
            taken: 0,
            probe_successes: 0,
            successes: 0,
            failures: 0,
            slow: 0,
            rejections: 0,
            transitions: 0,
            opened: 0,
            opened_rate: 0.0,
        }
    }

    fn transition(&mut self, to: State) {
        if to != self.state {
            self.transitions += 1;
            if to == State::Open {
                self.opened += 1;
            }
        }
        if to == State::Closed {
            self.window.clear();
            self.consecutive = 0;
            self.reopens = 0;
        }
        self.state = to;
        self.epoch += 1;
        self.taken = 0;
        self.probe_successes = 0;
    }

    fn cooldown(&self, reopens: u32) -> u64 {
        let base = u64::from(self.c.cooldown);
        match self.c.max_cooldown {
            None => base,
            Some(cap) => (base << reopens.min(31)).min(u64::from(cap)),
        }
    }

    fn open(&mut self, reopens: u32) {
        self.reopens = reopens;
        self.open_until = self.now + self.cooldown(reopens);
        self.transition(State::Open);
        self.reopens = reopens;
    }

    /// What the window holds now: calls, failures, slow.
    fn tally(&self) -> (u64, u64, u64) {
        let live: Vec<&(u64, bool, bool)> = match self.c.window.unwrap_or(Window::Calls(100)) {
            Window::Calls(n) => self.window.iter().rev().take(n as usize).collect(),
            // Ten buckets of one unit: the last ten, this one included.
            Window::Time(_) => self
                .window
                .iter()
                .filter(|(t, ..)| self.now - t < 10)
                .collect(),
        };
        let failures = live.iter().filter(|(_, f, _)| *f).count() as u64;
        let slow = live.iter().filter(|(_, _, s)| *s).count() as u64;
        (live.len() as u64, failures, slow)
    }

    fn acquire(&mut self) -> Result<Ticket, Option<Duration>> {
        let admitted = |m: &Model, probe| Ticket {
            epoch: m.epoch,
            probe,
            started: m.now,
        };
        match self.state {
            State::Closed => Ok(admitted(self, false)),
            State::Isolated => {
                self.rejections += 1;
                Err(None)
            }
            State::Open if self.now < self.open_until => {
                self.rejections += 1;
                Err(Some(UNIT * (self.open_until - self.now) as u32))
            }
            State::Open => {
                let reopens = self.reopens;
                self.transition(State::HalfOpen);
                self.reopens = reopens;
                self.taken = 1;
                Ok(admitted(self, true))
            }
            State::HalfOpen if self.taken < self.c.half_open => {
                self.taken += 1;
                Ok(admitted(self, true))
            }
            State::HalfOpen => {
                self.rejections += 1;
                Err(Some(Duration::ZERO))
            }
        }
    }

    fn report(&mut self, t: Ticket, failed: bool) {
        let slow = self
            .c
            .slow_call
            .is_some_and(|s| self.now - t.started > u64::from(s));
        let failure = failed || (slow && self.c.slow_rate.is_none());
        if failure {
            self.failures += 1;
        } else {
            self.successes += 1;
        }
        if slow {
            self.slow += 1;
        }
        let current = t.epoch == self.epoch;
        if t.probe {
            if !(current && self.state == State::HalfOpen) {
                return;
            }
            if failure || slow {
                self.open(self.reopens + 1);
            } else {
                self.probe_successes += 1;
                if self.probe_successes >= self.c.close_after {
                    self.transition(State::Closed);
                }
            }
            return;
        }
        if !(current && self.state == State::Closed) {
            return;
        }
        match self.c.threshold {
            Some(threshold) => {
                if failure {
                    self.consecutive += 1;
                    if self.consecutive >= threshold {
                        self.open(0);
                    }
                } else {
                    self.consecutive = 0;
                }
            }
            None => {
                self.window.push_back((self.now, failure, slow));
                let (calls, failures, slow) = self.tally();
                let reached = |part: u64, rate: Option<f64>| {
                    rate.is_some_and(|r| part as f64 >= r * calls as f64 - 1e-9)
                };
                if calls >= u64::from(self.c.min_calls)
                    && (reached(failures, self.c.rate) || reached(slow, self.c.slow_rate))
                {
                    self.opened_rate = failures as f64 / calls as f64;
                    self.open(0);
                }
            }
        }
    }

    fn cancel(&mut self, t: Ticket) {
        if t.probe && t.epoch == self.epoch && self.state == State::HalfOpen && self.taken > 0 {
            self.taken -= 1;
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        (self.state == State::Open).then(|| UNIT * self.open_until.saturating_sub(self.now) as u32)
    }

    fn failure_rate(&self) -> f64 {
        let ratio = |n: u64, d: u64| if d == 0 { 0.0 } else { n as f64 / d as f64 };
        match (self.c.threshold, self.state) {
            (Some(_), _) => ratio(self.failures, self.successes + self.failures),
            (None, State::Closed) => {
                let (calls, failures, _) = self.tally();
                ratio(failures, calls)
            }
            (None, _) => self.opened_rate,
        }
    }
}

fn run(c: Config, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async move {
        let breaker = c.breaker();
        let heard = Arc::new(AtomicU64::new(0));
        let count = heard.clone();
        breaker.subscribe(move |_| {
            count.fetch_add(1, SeqCst);
        });
        breaker.subscribe(|_| panic!("a listener bug"));
        let mut model = Model::new(c);
        let mut held: Vec<(Permit<'_>, Ticket)> = Vec::new();
        for (step, op) in ops.into_iter().enumerate() {
            match op {
                Op::Acquire => {
                    let real = breaker.try_acquire();
                    match (real, model.acquire()) {
                        (Ok(permit), Ok(ticket)) => {
                            prop_assert_eq!(permit.is_probe(), ticket.probe, "step {}", step);
                            held.push((permit, ticket));
                        }
                        (Err(open), Err(wait)) => {
                            prop_assert_eq!(open.retry_after(), wait, "step {}", step)
                        }
                        (real, model) => prop_assert!(
                            false,
                            "step {}: breaker {:?}, model {:?}",
                            step,
                            real.map(|p| p.is_probe()),
                            model
                        ),
                    }
                }
                Op::Report { which, failed } if !held.is_empty() => {
                    let (permit, ticket) = held.remove(which % held.len());
                    if failed {
                        permit.failure();
                    } else {
                        permit.success();
                    }
                    model.report(ticket, failed);
                }
                Op::Cancel { which } if !held.is_empty() => {
                    let (permit, ticket) = held.remove(which % held.len());
                    drop(permit);
                    model.cancel(ticket);
                }
                Op::Report { .. } | Op::Cancel { .. } => continue,
                Op::Advance(units) => {
                    tokio::time::advance(UNIT * units).await;
                    model.now += u64::from(units);
                }
                Op::Reset => {
                    breaker.reset();
                    model.transition(State::Closed);
                }
                Op::ForceOpen => {
                    breaker.force_open();
                    model.open(model.reopens);
                }
                Op::Isolate => {
                    breaker.isolate();
                    if model.state != State::Isolated {
                        let reopens = model.reopens;
                        model.transition(State::Isolated);
                        model.reopens = reopens;
                    }
                }
            }
            let s = breaker.snapshot();
            prop_assert_eq!(s.state, model.state, "step {}: {:?}", step, op);
            prop_assert_eq!(breaker.retry_after(), model.retry_after(), "step {}", step);
            prop_assert_eq!(
                (s.successes, s.failures, s.slow, s.rejections),
                (
                    model.successes,
                    model.failures,
                    model.slow,
                    model.rejections
                ),
                "step {}: {:?}",
                step,
                op
            );
            prop_assert_eq!(
                (s.transitions, s.opened),
                (model.transitions, model.opened),
                "step {}",
                step
            );
            prop_assert_eq!(heard.load(SeqCst), model.transitions, "step {}", step);
            prop_assert!(
                (s.failure_rate - model.failure_rate()).abs() < 1e-9,
                "step {}: {} vs {}",
                step,
                s.failure_rate,
                model.failure_rate()
            );
        }
        Ok(())
    })
}

const CONSECUTIVE: Config = Config {
    threshold: Some(3),
    rate: None,
    slow_rate: None,
    window: None,
    min_calls: 1,
    cooldown: 10,
    max_cooldown: Some(40),
    half_open: 2,
    close_after: 2,
    slow_call: None,
};

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn consecutive_failures(ops in proptest::collection::vec(op(), 1..60)) {
        run(CONSECUTIVE, ops)?;
    }

    #[test]
    fn a_count_window(ops in proptest::collection::vec(op(), 1..60)) {
        run(Config { threshold: None, rate: Some(0.5), window: Some(Window::Calls(6)), min_calls: 3, half_open: 1, close_after: 1, ..CONSECUTIVE }, ops)?;
    }

    #[test]
    fn a_time_window(ops in proptest::collection::vec(op(), 1..60)) {
        run(Config { threshold: None, rate: Some(0.5), window: Some(Window::Time(UNIT * 10)), min_calls: 3, ..CONSECUTIVE }, ops)?;
    }

    #[test]
    fn slow_calls_as_failures(ops in proptest::collection::vec(op(), 1..60)) {
        run(Config { slow_call: Some(2), ..CONSECUTIVE }, ops)?;
    }

    #[test]
    fn a_slow_rate_of_their_own(ops in proptest::collection::vec(op(), 1..60)) {
        run(Config { threshold: None, rate: Some(0.6), slow_rate: Some(0.5), slow_call: Some(2), window: Some(Window::Calls(5)), min_calls: 2, ..CONSECUTIVE }, ops)?;
    }
}
