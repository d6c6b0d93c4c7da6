//! The policy-file door: TOML read key by key against the specs.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use resilient_spec::{self as spec, Key, Kind, Naming, Report, Value, Violation};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::{Policies, Policy, PolicyError};
use crate::circuit_breaker::BreakerConfig;
use crate::heal::HealConfig;
use crate::RetryConfig;

pub(super) fn parse(text: &str) -> Result<Policies, PolicyError> {
    let root = DeTable::parse(text).map_err(|e| PolicyError {
        key: String::new(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: e.message().trim().to_string(),
    })?;
    let mut by_name = BTreeMap::new();
    for (name, value) in root.get_ref() {
        let file = File { text };
        let policy = file.policy(name.get_ref(), value)?;
        by_name.insert(name.get_ref().to_string(), policy);
    }
    Ok(Policies { by_name })
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The sections a policy may have.
const SECTIONS: &[&str] = &[
    "retry",
    "circuit_breaker",
    "timeout",
    "self_heal",
    "fallback",
];

/// A file being read: where its errors are.
struct File<'t> {
    text: &'t str,
}

/// A value and where it was written.
type At<T> = (T, Range<usize>);

impl File<'_> {
    fn error(
        &self,
        key: String,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> PolicyError {
        PolicyError {
            key,
            line: span.map(|s| line_of(self.text, s.start)),
            message: message.into(),
        }
    }

    fn policy(&self, name: &str, value: &Spanned<DeValue<'_>>) -> Result<Policy, PolicyError> {
        let DeValue::Table(table) = value.get_ref() else {
            return Err(self.error(
                name.to_string(),
                Some(value.span()),
                format!("must be a table of settings, as in `[{name}.retry]`"),
            ));
        };
        let mut policy = Policy::default();
        for (section, v) in table {
            let path = format!("{name}.{}", section.get_ref());
            match section.get_ref().as_ref() {
                "retry" => {
                    let mut s = spec::retry::Settings::NEW;
                    let written = self.section(&path, v, spec::retry::KEYS, |k, v| s.set(k, v))?;
                    self.refused(&path, &spec::retry::check(&s), &written, v.span())?;
                    policy.retry = RetryConfig::from_settings(s).build().ok();
                }
                "circuit_breaker" => {
                    let mut s = spec::circuit_breaker::Settings::NEW;
                    let written =
                        self.section(&path, v, spec::circuit_breaker::KEYS, |k, v| s.set(k, v))?;
                    self.refused(&path, &spec::circuit_breaker::check(&s), &written, v.span())?;
                    policy.circuit_breaker = BreakerConfig::from_settings(s).build().ok();
                }
                "self_heal" => {
                    let mut s = spec::heal::Settings::NEW;
                    let written = self.section(&path, v, spec::heal::KEYS, |k, v| s.set(k, v))?;
                    self.refused(&path, &spec::heal::check(&s), &written, v.span())?;
                    policy.self_heal = HealConfig::from_settings(s).build().ok();
                }
                "timeout" => {
                    // `timeout = "30s"`: the section is the value.
                    let at_path = |mut e: PolicyError| {
                        e.key = path.clone();
                        e
                    };
                    let Value::Duration(d) = self
                        .value(name, &spec::timeout::DURATION, v)
                        .map_err(at_path)?
                    else {
                        unreachable!("a duration key reads a duration")
                    };
                    let s = spec::timeout::Settings {
                        duration: Some(d),
                        ..Default::default()
                    };
                    let written = [(&spec::timeout::DURATION, v.span())];
                    self.refused(name, &spec::timeout::check(&s), &written, v.span())
                        .map_err(at_path)?;
                    policy.timeout = Some(d);
                }
                "fallback" => policy.fallback = self.tools(&path, v)?,
                other => return Err(self.unknown(name, other, section.span(), SECTIONS)),
            }
        }
        Ok(policy)
    }

    /// Reads one section's keys into a capability's settings through `set`.
    fn section(
        &self,
        path: &str,
        value: &Spanned<DeValue<'_>>,
        keys: &'static [Key],
        mut set: impl FnMut(&'static Key, Value) -> Result<Option<Violation>, spec::WrongKind>,
    ) -> Result<Vec<At<&'static Key>>, PolicyError> {
        let DeValue::Table(table) = value.get_ref() else {
            return Err(self.error(
                path.to_string(),
                Some(value.span()),
                "must be a table of settings",
            ));
        };
        let mut written = Vec::new();
        for (key, v) in table {
            let name = key.get_ref().as_ref();
            let Some(k) = keys.iter().find(|k| k.name == name && k.in_file) else {
                let in_file: Vec<&str> =
                    keys.iter().filter(|k| k.in_file).map(|k| k.name).collect();
                return Err(match keys.iter().find(|k| k.name == name) {
                    Some(_) => self.error(
                        format!("{path}.{name}"),
                        Some(key.span()),
                        "is set in code, on the attribute, not in a policy file",
                    ),
                    None => self.unknown(path, name, key.span(), &in_file),
                });
            };
            let value = self.value(path, k, v)?;
            let key_path = format!("{path}.{name}");
            match set(k, value) {
                Ok(None) => {}
                Ok(Some(v)) => {
                    return Err(self.error(key_path, Some(key.span()), v.reason(Naming::File)))
                }
                Err(e) => return Err(self.error(key_path, Some(key.span()), e.to_string())),
            }
            written.push((k, key.span()));
        }
        Ok(written)
    }

    /// The first violation of a section's rules, at its key's line.
    fn refused(
        &self,
        path: &str,
        report: &Report,
        written: &[At<&'static Key>],
        section: Range<usize>,
    ) -> Result<(), PolicyError> {
        match report.first() {
            None => Ok(()),
            Some(v) => {
                let span = written
                    .iter()
                    .find(|(k, _)| k.id == v.key.id)
                    .map_or(section, |(_, s)| s.clone());
                Err(self.error(
                    format!("{path}.{}", v.key.name),
                    Some(span),
                    v.reason(Naming::File),
                ))
            }
        }
    }

    fn unknown(&self, path: &str, name: &str, span: Range<usize>, known: &[&str]) -> PolicyError {
        let mut message = String::from("is not a setting here");
        if let Some(best) = spec::did_you_mean(known.iter().copied(), name) {
            message.push_str(&format!("; did you mean `{best}`?"));
        }
        message.push_str(&format!(" (expected one of: {})", known.join(", ")));
        self.error(format!("{path}.{name}"), Some(span), message)
    }

    /// One value, read as `key`'s kind.
    fn value(&self, path: &str, key: &Key, v: &Spanned<DeValue<'_>>) -> Result<Value, PolicyError> {
        let at =
            |message: String| self.error(format!("{path}.{}", key.name), Some(v.span()), message);
        let example = key.example;
        let name = key.name;
        match (key.kind, v.get_ref()) {
            (Kind::Count, DeValue::Integer(i)) => {
                match u64::from_str_radix(i.as_str(), i.radix()) {
                    Ok(n) => Ok(Value::Count(n)),
                    Err(_) if i.as_str().starts_with('-') => {
                        Err(at("must be a positive whole number, not negative".into()))
                    }
                    Err(_) => Err(at(format!("is too large (at most {})", u64::MAX))),
                }
            }
            (Kind::Count, _) => Err(at(format!(
                "must be a whole number, as in `{name} = {example}`"
            ))),
            (Kind::Duration, value) => self.duration(value).map(Value::Duration).map_err(at),
            (Kind::CallsOrDuration, DeValue::Integer(_)) => {
                let count = Key {
                    kind: Kind::Count,
                    ..*key
                };
                self.value(path, &count, v)
            }
            (Kind::CallsOrDuration, value @ DeValue::String(_)) => {
                self.duration(value).map(Value::Duration).map_err(at)
            }
            (Kind::CallsOrDuration, _) => Err(at(format!(
                "is a number of calls (`{name} = 100`) or a duration (`{name} = \"30s\"`)"
            ))),
            (Kind::Number, value) => number(value)
                .map(Value::Number)
                .ok_or_else(|| at(format!("must be a number, as in `{name} = {example}`"))),
            (Kind::Choice { names, .. }, DeValue::String(s)) => names
                .iter()
                .position(|n| *n == s.as_ref())
                .map(|i| Value::Choice(i as u8))
                .ok_or_else(|| at(format!("\"{s}\" is not one of: {}", spec::quoted(names)))),
            (
                Kind::Choice {
                    names,
                    bare: Some(b),
                },
                DeValue::Boolean(on),
            ) => {
                let off = names.iter().position(|n| *n == "none").unwrap_or(0);
                Ok(Value::Choice(if *on { b } else { off as u8 }))
            }
            (Kind::Choice { names, .. }, _) => Err(at(format!(
                "must be a string, one of: {}",
                spec::quoted(names)
            ))),
            (Kind::Path | Kind::Expr | Kind::Text, _) => Err(at(
                "is set in code, on the attribute, not in a policy file".into(),
            )),
        }
    }

    /// `"30s"` or a number of seconds.
    fn duration(&self, v: &DeValue<'_>) -> Result<Duration, String> {
        match v {
            DeValue::String(t) => {
                spec::parse_duration(t).map_err(|e| format!("is not a duration: {e}"))
            }
            other => match number(other) {
                Some(secs) => spec::seconds(secs).map_err(str::to_string),
                None => Err("must be a duration, as in \"30s\", or a number of seconds".into()),
            },
        }
    }

    /// `fallback = ["claude", "local_ocr"]`.
    fn tools(&self, path: &str, v: &Spanned<DeValue<'_>>) -> Result<Vec<String>, PolicyError> {
        let wrong = || {
            self.error(
                path.to_string(),
                Some(v.span()),
                "must be a list of tool names, as in `fallback = [\"claude\", \"local_ocr\"]`",
            )
        };
        let DeValue::Array(items) = v.get_ref() else {
            return Err(wrong());
        };
        items
            .iter()
            .map(|item| match item.get_ref() {
                DeValue::String(s) if !s.trim().is_empty() => Ok(s.to_string()),
                _ => Err(wrong()),
            })
            .collect()
    }
}

/// A TOML integer or float as a number.
fn number(v: &DeValue<'_>) -> Option<f64> {
    match v {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .ok()
            .map(|n| n as f64),
        DeValue::Float(f) => f.as_str().replace('_', "").parse().ok(),
        _ => None,
    }
}
