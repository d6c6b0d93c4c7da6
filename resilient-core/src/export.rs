//! The figures out through the [`metrics`] facade (feature `metrics`), to
//! Prometheus, StatsD or OpenTelemetry by whichever recorder the program
//! installs. Labels are function, breaker and tier names only, never a
//! per-call or per-key value, so their number stays bounded whatever the
//! traffic.
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `resilient_calls_total` | counter | `function`, `outcome` (`success`, `failure`) |
//! | `resilient_retries_total` | counter | `function` |
//! | `resilient_timeouts_total` | counter | `function` |
//! | `resilient_rejections_total` | counter | `function` |
//! | `resilient_call_duration_seconds` | histogram | `function` |
//! | `resilient_tier_calls_total` | counter | `function`, `tier`, `outcome` |
//! | `resilient_tier_duration_seconds` | histogram | `function`, `tier` |
//! | `resilient_heal_total` | counter | `function`, `event` (`diagnosed`, `joined`, `healed`, `gave_up`) |
//! | `resilient_breaker_state` | gauge: 0 closed, 1 open, 2 half-open, 3 isolated | `breaker` |
//! | `resilient_breaker_transitions_total` | counter | `breaker`, `to` |
//!
//! A function is labelled `module::function`; attempts are calls plus
//! retries. Handles are taken on a function's first count: install the
//! recorder before the first call.

use metrics::{counter, gauge, histogram, Counter, Histogram};

use crate::circuit_breaker::State;

/// One function's handles.
pub(crate) struct Handles {
    pub(crate) successes: Counter,
    pub(crate) failures: Counter,
    pub(crate) retries: Counter,
    pub(crate) timeouts: Counter,
    pub(crate) rejections: Counter,
    pub(crate) duration: Histogram,
}

impl std::fmt::Debug for Handles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Handles")
    }
}

impl Handles {
    pub(crate) fn new(function: &str) -> Self {
        let f = function.to_string();
        Handles {
            successes: counter!("resilient_calls_total", "function" => f.clone(), "outcome" => "success"),
            failures: counter!("resilient_calls_total", "function" => f.clone(), "outcome" => "failure"),
            retries: counter!("resilient_retries_total", "function" => f.clone()),
            timeouts: counter!("resilient_timeouts_total", "function" => f.clone()),
            rejections: counter!("resilient_rejections_total", "function" => f.clone()),
            duration: histogram!("resilient_call_duration_seconds", "function" => f),
        }
    }
}

/// A breaker moved to `to`; `gauge` is false for a per-key breaker, whose
/// state is one of many under one name.
pub(crate) fn transition(breaker: String, to: State, gauge: bool) {
    if gauge {
        let code = match to {
            State::Closed => 0.0,
            State::Open => 1.0,
            State::HalfOpen => 2.0,
            State::Isolated => 3.0,
        };
        gauge!("resilient_breaker_state", "breaker" => breaker.clone()).set(code);
    }
    counter!("resilient_breaker_transitions_total", "breaker" => breaker, "to" => to.as_str())
        .increment(1);
}

/// One tier's handles.
pub(crate) struct TierHandles {
    pub(crate) served: Counter,
    pub(crate) failed: Counter,
    pub(crate) duration: Histogram,
}

impl TierHandles {
    pub(crate) fn new(function: &str, tier: &'static str) -> Self {
        let f = function.to_string();
        TierHandles {
            served: counter!("resilient_tier_calls_total", "function" => f.clone(), "tier" => tier, "outcome" => "served"),
            failed: counter!("resilient_tier_calls_total", "function" => f.clone(), "tier" => tier, "outcome" => "failed"),
            duration: histogram!("resilient_tier_duration_seconds", "function" => f, "tier" => tier),
        }
    }

    /// The tier ended, served or not, after `nanos` (0: not timed).
    pub(crate) fn ended(&self, served: bool, nanos: u64) {
        if served {
            self.served.increment(1);
        } else {
            self.failed.increment(1);
        }
        if nanos != 0 {
            self.duration
                .record(std::time::Duration::from_nanos(nanos).as_secs_f64());
        }
    }
}

/// A self-healing event of `function`.
pub(crate) fn heal(function: String, event: &'static str) {
    counter!("resilient_heal_total", "function" => function, "event" => event).increment(1);
}
