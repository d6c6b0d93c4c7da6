//! One case per rule, written as an attribute's arguments and as a policy
//! file's section: the test that walks every rule through the three front
//! ends (attribute, builder, file) reads them here, so that a rule added to
//! a spec without a case is noticed by review, and a front end that drifts
//! fails that test.

/// A setting that breaks one rule.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// `retry`, `circuit_breaker`, `self_heal` or `timeout`.
    pub capability: &'static str,
    /// The settings, as `key = value` pairs in TOML syntax: also valid as
    /// attribute arguments.
    pub settings: &'static str,
    /// The key the refusal names.
    pub key: &'static str,
    /// The words after the key, in the attribute's and the file's naming.
    pub reason: &'static str,
}

const fn case(
    capability: &'static str,
    settings: &'static str,
    key: &'static str,
    reason: &'static str,
) -> Case {
    Case {
        capability,
        settings,
        key,
        reason,
    }
}

/// Every rule that the three front ends share.
pub const CASES: &[Case] = &[
    case("retry", "attempts = 0", "attempts", "must be at least 1"),
    case(
        "retry",
        "max = 2, attempts = 3",
        "attempts",
        "and `max` both set the number of attempts; keep one (`max = N` retries after the first call, `attempts = N + 1` counts it)",
    ),
    case("retry", "backoff = 0", "backoff", "must be greater than zero"),
    case("retry", "factor = 0.5", "factor", "must be at least 1.0, found 0.5"),
    case(
        "retry",
        "schedule = \"linear\", factor = 3.0",
        "factor",
        "applies only to `schedule = \"exponential\"`",
    ),
    case("retry", "max_delay = 0", "max_delay", "must be greater than zero"),
    case(
        "retry",
        "backoff = \"2s\", max_delay = \"1s\"",
        "max_delay",
        "(1s) is below `backoff` (2s); the cap must be at least the first delay",
    ),
    case(
        "retry",
        "backoff = \"1m\"",
        "backoff",
        "(60s) is above the default `max_delay` (30s); raise `max_delay` too",
    ),
    case("retry", "timeout = 0", "timeout", "must be greater than zero"),
    case(
        "retry",
        "timeout = \"1s\", timeout_factor = 0.5",
        "timeout_factor",
        "must be at least 1.0, found 0.5",
    ),
    case("retry", "timeout_factor = 2.0", "timeout_factor", "needs `timeout` to grow"),
    case(
        "retry",
        "timeout = \"10s\", deadline = \"5s\"",
        "timeout",
        "(10s) is longer than `deadline` (5s), so it can never fire",
    ),
    case("retry", "deadline = 0", "deadline", "must be greater than zero"),
    case("circuit_breaker", "threshold = 0", "threshold", "must be at least 1"),
    case(
        "circuit_breaker",
        "threshold = 2000000",
        "threshold",
        "is at most 1000000 consecutive failures, found 2000000",
    ),
    case(
        "circuit_breaker",
        "threshold = 3, failure_rate = 0.5",
        "failure_rate",
        "and `threshold` are two ways to open the breaker; keep one: `threshold = N` consecutive failures, or `failure_rate = 0.5` over a `window`",
    ),
    case(
        "circuit_breaker",
        "failure_rate = 1.5",
        "failure_rate",
        "must be above 0 and at most 1, found 1.5",
    ),
    case(
        "circuit_breaker",
        "failure_rate = 0.5, slow_call = \"1s\", slow_rate = 0.0",
        "slow_rate",
        "must be above 0 and at most 1, found 0.0",
    ),
    case(
        "circuit_breaker",
        "cooldown_jitter = 1.0",
        "cooldown_jitter",
        "must be from 0 up to (not including) 1, found 1.0",
    ),
    case("circuit_breaker", "failure_rate = 0.5, window = 0", "window", "must be at least 1 call"),
    case(
        "circuit_breaker",
        "failure_rate = 0.5, window = 20000",
        "window",
        "is at most 10000 calls, found 20000; for more, use a time window such as `window = \"30s\"`",
    ),
    case(
        "circuit_breaker",
        "failure_rate = 0.5, window = \"5ms\"",
        "window",
        "must be at least 10ms",
    ),
    case(
        "circuit_breaker",
        "window = 50",
        "window",
        "applies to a rate-based breaker; add `failure_rate = 0.5` (or another rate)",
    ),
    case("circuit_breaker", "failure_rate = 0.5, min_calls = 0", "min_calls", "must be at least 1"),
    case(
        "circuit_breaker",
        "failure_rate = 0.5, window = 20, min_calls = 50",
        "min_calls",
        "(50) is more than `window` (20): the window never holds that many calls, so the breaker could never open; lower it or set a larger `window`",
    ),
    case(
        "circuit_breaker",
        "min_calls = 5",
        "min_calls",
        "applies to a rate-based breaker; add `failure_rate = 0.5` (or another rate)",
    ),
    case(
        "circuit_breaker",
        "slow_call = \"1s\", slow_rate = 0.5",
        "slow_rate",
        "applies to a rate-based breaker; add `failure_rate = 0.5` (or another rate)",
    ),
    case(
        "circuit_breaker",
        "failure_rate = 0.5, slow_rate = 0.5",
        "slow_rate",
        "needs `slow_call`, the duration above which a call is slow",
    ),
    case("circuit_breaker", "cooldown = 0", "cooldown", "must be greater than zero"),
    case(
        "circuit_breaker",
        "max_cooldown = \"10s\"",
        "max_cooldown",
        "(10s) is below `cooldown` (60s, the default); the cap must be at least the first cooldown",
    ),
    case("circuit_breaker", "half_open = 0", "half_open", "must be at least 1"),
    case(
        "circuit_breaker",
        "half_open = 5000",
        "half_open",
        "is at most 1000 probes, found 5000",
    ),
    case("circuit_breaker", "close_after = 0", "close_after", "must be at least 1"),
    case(
        "circuit_breaker",
        "half_open = 2, close_after = 3",
        "close_after",
        "(3) is more than `half_open` (2): only that many probes run, so the breaker could never close",
    ),
    case("circuit_breaker", "slow_call = 0", "slow_call", "must be greater than zero"),
    case("self_heal", "max = 0", "max", "must be at least 1"),
    case("self_heal", "backoff = 0", "backoff", "must be greater than zero"),
    case("self_heal", "timeout = 0", "timeout", "must be greater than zero"),
    case("timeout", "duration = 0", "duration", "must be greater than zero"),
];
