//! Every rule of the specs through the builder's and the policy file's
//! doors, with the same words as the attribute's (whose door is walked by
//! `resilient-macros`' `three_doors` test over the same cases).

use std::time::Duration;

use resilient_core::circuit_breaker::{BreakerConfig, Window};
use resilient_core::heal::HealConfig;
use resilient_core::{ConfigError, Jitter, RetryConfig, Schedule};
use resilient_spec::cases::{Case, CASES};

/// The case's settings in order, as TOML values.
fn settings(case: &Case) -> Vec<(String, toml::Value)> {
    case.settings
        .split(", ")
        .map(|pair| {
            let table: toml::Table = toml::from_str(pair).expect("a case is TOML");
            table.into_iter().next().expect("one key a pair")
        })
        .collect()
}

fn duration(v: &toml::Value) -> Duration {
    match v {
        toml::Value::String(s) => resilient_spec::parse_duration(s).unwrap(),
        toml::Value::Integer(n) => Duration::from_secs(*n as u64),
        toml::Value::Float(x) => Duration::from_secs_f64(*x),
        other => panic!("not a duration: {other:?}"),
    }
}

fn count(v: &toml::Value) -> u32 {
    v.as_integer().expect("a count") as u32
}

fn number(v: &toml::Value) -> f64 {
    v.as_float()
        .or(v.as_integer().map(|n| n as f64))
        .expect("a number")
}

/// The case through the builder's setters.
fn build(case: &Case) -> Result<(), ConfigError> {
    let pairs = settings(case);
    match case.capability {
        "retry" => {
            let mut c = RetryConfig::new();
            for (k, v) in &pairs {
                c = match k.as_str() {
                    "max" => c.max_retries(count(v)),
                    "attempts" => c.attempts(count(v)),
                    "backoff" => c.backoff(duration(v)),
                    "schedule" => c.schedule(match v.as_str() {
                        Some("linear") => Schedule::Linear,
                        Some("constant") => Schedule::Constant,
                        _ => Schedule::Exponential,
                    }),
                    "factor" => c.factor(number(v)),
                    "max_delay" => c.max_delay(duration(v)),
                    "jitter" => c.jitter(Jitter::Full),
                    "timeout" => c.timeout(duration(v)),
                    "timeout_factor" => c.timeout_factor(number(v)),
                    "deadline" => c.deadline(duration(v)),
                    other => panic!("no setter for {other}"),
                };
            }
            c.build().map(drop)
        }
        "circuit_breaker" => {
            let mut c = BreakerConfig::new();
            for (k, v) in &pairs {
                c = match k.as_str() {
                    "threshold" => c.threshold(count(v)),
                    "cooldown" => c.cooldown(duration(v)),
                    "half_open" => c.half_open(count(v)),
                    "close_after" => c.close_after(count(v)),
                    "failure_rate" => c.failure_rate(number(v)),
                    "window" => c.window(match v {
                        toml::Value::Integer(n) => Window::Calls(*n as u32),
                        other => Window::Time(duration(other)),
                    }),
                    "min_calls" => c.min_calls(count(v)),
                    "slow_call" => c.slow_call(duration(v)),
                    "slow_rate" => c.slow_rate(number(v)),
                    "max_cooldown" => c.max_cooldown(duration(v)),
                    "cooldown_jitter" => c.cooldown_jitter(number(v)),
                    other => panic!("no setter for {other}"),
                };
            }
            c.build().map(drop)
        }
        "self_heal" => {
            let mut c = HealConfig::new();
            for (k, v) in &pairs {
                c = match k.as_str() {
                    "max" => c.max(count(v)),
                    "backoff" => c.backoff(duration(v)),
                    "timeout" => c.timeout(duration(v)),
                    other => panic!("no setter for {other}"),
                };
            }
            c.build().map(drop)
        }
        other => panic!("no builder for {other}"),
    }
}

/// The builder's name of a key.
fn field(key: &str, capability: &str) -> &'static str {
    let keys = match capability {
        "retry" => resilient_spec::retry::KEYS,
        "circuit_breaker" => resilient_spec::circuit_breaker::KEYS,
        "self_heal" => resilient_spec::heal::KEYS,
        _ => resilient_spec::timeout::KEYS,
    };
    resilient_spec::find_key(keys, key).unwrap().field
}

#[test]
fn every_rule_naming_the_field() {
    for case in CASES {
        // A builder's setters replace each other (`attempts` after
        // `max_retries`), and a timeout has no builder.
        if case.capability == "timeout" || case.key == "attempts" && case.settings.contains("max") {
            continue;
        }
        let err = build(case).expect_err(case.settings);
        assert_eq!(
            err.field(),
            field(case.key, case.capability),
            "{}",
            case.settings
        );
        assert_eq!(err.reason(), case.reason, "{}", case.settings);
    }
}

#[cfg(feature = "policy-files")]
#[test]
fn every_rule_with_the_dotted_key_and_line() {
    for case in CASES {
        let lines = case.settings.replace(", ", "\n");
        let (text, key) = match case.capability {
            "timeout" => (
                format!("[p]\n{}", lines.replace("duration", "timeout")),
                "p.timeout".to_string(),
            ),
            section => (
                format!("[p.{section}]\n{lines}"),
                format!("p.{section}.{}", case.key),
            ),
        };
        let err = resilient_core::policy::Policies::from_toml(&text).expect_err(&text);
        assert_eq!(err.key(), key, "{text}");
        assert_eq!(err.message(), case.reason, "{text}");
        // The key's own line.
        let line = text.lines().position(|l| {
            l.starts_with(case.key) || case.capability == "timeout" && l.starts_with("timeout")
        });
        assert_eq!(err.line(), line.map(|l| l + 1), "{text}");
    }
}
