//! Every duration, rate and count setting at its extremes (0, 1 ns,
//! `u32::MAX`, `Duration::MAX`, 1e300, NaN, infinities), through the builder
//! and a policy file: the same verdict at both doors, an error naming the
//! field or a policy that runs without panicking.

use std::time::Duration;

use proptest::prelude::*;
use resilient_core::circuit_breaker::{BreakerConfig, CircuitBreaker, Window};
use resilient_core::{ConfigError, Jitter, RetryConfig, Schedule, TimedOut, Transient};
use tokio::time::advance;

#[derive(Debug, Clone, Copy)]
enum Extreme {
    Zero,
    Nano,
    Milli,
    Second,
    Day,
    MaxNanos,
    Max,
}

impl Extreme {
    fn duration(self) -> Duration {
        match self {
            Extreme::Zero => Duration::ZERO,
            Extreme::Nano => Duration::from_nanos(1),
            Extreme::Milli => Duration::from_millis(1),
            Extreme::Second => Duration::from_secs(1),
            Extreme::Day => Duration::from_secs(86_400),
            Extreme::MaxNanos => Duration::from_nanos(u64::MAX),
            Extreme::Max => Duration::MAX,
        }
    }

    /// As a policy file writes it: seconds, exactly where TOML can.
    fn toml(self) -> String {
        let d = self.duration();
        if d.subsec_nanos() == 0 && d.as_secs() <= i64::MAX as u64 {
            d.as_secs().to_string()
        } else if d.as_secs() == 0 {
            format!("\"{}ns\"", d.subsec_nanos())
        } else {
            format!("\"{}s {}ns\"", d.as_secs(), d.subsec_nanos())
        }
    }
}

fn duration() -> impl Strategy<Value = Extreme> {
    prop_oneof![
        Just(Extreme::Zero),
        Just(Extreme::Nano),
        Just(Extreme::Milli),
        Just(Extreme::Second),
        Just(Extreme::Day),
        Just(Extreme::MaxNanos),
        Just(Extreme::Max),
    ]
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(1e-300),
        Just(0.5),
        Just(1.0),
        Just(2.0),
        Just(1e300),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-1.0),
    ]
}

fn count() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(2),
        Just(1000),
        Just(1_000_000),
        Just(u32::MAX)
    ]
}

/// TOML for a number, NaN and infinities included.
fn toml_number(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else {
        format!("{x:?}")
    }
}

#[derive(Debug, PartialEq)]
enum E {
    Busy(Duration),
    Late(TimedOut),
}

impl std::fmt::Display for E {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl Transient for E {
    fn is_transient(&self) -> bool {
        true
    }
    fn retry_after(&self) -> Option<Duration> {
        match self {
            E::Busy(d) => Some(*d),
            E::Late(_) => None,
        }
    }
}

impl From<TimedOut> for E {
    fn from(t: TimedOut) -> Self {
        E::Late(t)
    }
}

fn paused() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}

/// The field a file's refusal names: `p.retry.max_delay` → `max_delay`.
#[cfg(feature = "policy-files")]
fn file_field(key: &str) -> &str {
    key.rsplit('.').next().unwrap()
}

/// The builder's field as a file names it.
#[cfg(feature = "policy-files")]
fn as_file_key(field: &str) -> &str {
    match field {
        "max_retries" => "max",
        other => other,
    }
}

/// The builder's verdict is the file's (without the file door, there is
/// nothing to compare).
#[cfg(not(feature = "policy-files"))]
fn same_verdict(_: &Result<(), ConfigError>, _: &str) -> Result<(), TestCaseError> {
    Ok(())
}

#[cfg(feature = "policy-files")]
fn same_verdict(built: &Result<(), ConfigError>, text: &str) -> Result<(), TestCaseError> {
    match (built, &resilient_core::policy::Policies::from_toml(text)) {
        (Ok(()), Ok(_)) => Ok(()),
        (Err(b), Err(f)) => {
            prop_assert_eq!(as_file_key(b.field()), file_field(f.key()));
            prop_assert_eq!(b.reason(), f.message());
            Ok(())
        }
        (b, f) => {
            prop_assert!(false, "builder {:?}, file {:?}", b, f.as_ref().err());
            Ok(())
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn retry_settings(
        max in count(),
        backoff in duration(),
        max_delay in duration(),
        factor in number(),
        timeout in duration(),
        timeout_factor in number(),
        deadline in duration(),
        schedule in 0..3usize,
        jitter in 0..5usize,
        hint in duration(),
    ) {
        let schedules = [Schedule::Exponential, Schedule::Linear, Schedule::Constant];
        let jitters = [Jitter::None, Jitter::Full, Jitter::Equal, Jitter::Decorrelated, Jitter::Additive];
        let mut config = RetryConfig::new()
            .max_retries(max)
            .backoff(backoff.duration())
            .max_delay(max_delay.duration())
            .schedule(schedules[schedule])
            .jitter(jitters[jitter])
            .timeout(timeout.duration())
            .timeout_factor(timeout_factor)
            .deadline(deadline.duration());
        // A factor only goes with the exponential schedule.
        if schedule == 0 {
            config = config.factor(factor);
        }
        let built = config.build();
        let mut text = format!(
            "[p.retry]\nmax = {max}\nbackoff = {}\nmax_delay = {}\nschedule = \"{}\"\njitter = \"{}\"\ntimeout = {}\ntimeout_factor = {}\ndeadline = {}\n",
            backoff.toml(), max_delay.toml(), ["exponential", "linear", "constant"][schedule],
            ["none", "full", "equal", "decorrelated", "additive"][jitter], timeout.toml(),
            toml_number(timeout_factor), deadline.toml(),
        );
        if schedule == 0 {
            text.push_str(&format!("factor = {}\n", toml_number(factor)));
        }
        same_verdict(&built.map(drop), &text)?;
        if let Ok(policy) = config.build() {
            // It runs: three failed attempts asking for an extreme wait,
            // then a success; nothing panics whatever the arithmetic.
            paused().block_on(async {
                let mut n = 0;
                let out = policy
                    .run(|| {
                        n += 1;
                        let fail = n <= 3;
                        async move { if fail { Err(E::Busy(hint.duration())) } else { Ok(n) } }
                    })
                    .await;
                let _ = out;
            });
        }
    }

    #[test]
    fn breaker_settings(
        threshold in proptest::option::of(count()),
        rate in proptest::option::of(number()),
        window_calls in proptest::option::of(count()),
        window_time in proptest::option::of(duration()),
        cooldown in duration(),
        max_cooldown in proptest::option::of(duration()),
        jitter in number(),
        half_open in count(),
        slow_call in proptest::option::of(duration()),
    ) {
        let mut config = BreakerConfig::new().cooldown(cooldown.duration()).cooldown_jitter(jitter).half_open(half_open);
        let mut text = format!("[p.circuit_breaker]\ncooldown = {}\ncooldown_jitter = {}\nhalf_open = {half_open}\n", cooldown.toml(), toml_number(jitter));
        if let Some(t) = threshold {
            config = config.threshold(t);
            text.push_str(&format!("threshold = {t}\n"));
        }
        if let Some(r) = rate {
            config = config.failure_rate(r);
            text.push_str(&format!("failure_rate = {}\n", toml_number(r)));
        }
        match (window_calls, window_time) {
            (Some(n), _) => {
                config = config.window(Window::Calls(n));
                text.push_str(&format!("window = {n}\n"));
            }
            (None, Some(d)) if d.duration().subsec_nanos() == 0 => {
                config = config.window(Window::Time(d.duration()));
                text.push_str(&format!("window = \"{}s\"\n", d.duration().as_secs()));
            }
            _ => {}
        }
        if let Some(m) = max_cooldown {
            config = config.max_cooldown(m.duration());
            text.push_str(&format!("max_cooldown = {}\n", m.toml()));
        }
        if let Some(s) = slow_call {
            config = config.slow_call(s.duration());
            text.push_str(&format!("slow_call = {}\n", s.toml()));
        }
        let built = config.build();
        same_verdict(&built.map(drop), &text)?;
        if let Ok(policy) = config.build() {
            // It runs: failures until it opens, a wait, probes.
            let b = CircuitBreaker::new("extreme", policy);
            paused().block_on(async {
                for _ in 0..20 {
                    if let Ok(p) = b.try_acquire() {
                        p.failure();
                    }
                }
                advance(Duration::from_secs(3600)).await;
                for _ in 0..3 {
                    if let Ok(p) = b.try_acquire() {
                        p.success();
                    }
                }
                let _ = (b.snapshot(), b.retry_after());
                b.force_open();
                b.isolate();
                b.reset();
            });
        }
    }
}
