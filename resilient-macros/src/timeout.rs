//! `#[timeout("30s")]`: its argument, read by the keys and rules of the
//! spec.

use std::time::Duration;

use proc_macro2::Span;
use resilient_spec::timeout::{self as spec, Settings};
use resilient_spec::Value;
use syn::Path;

use crate::args::{self, Arg, Errors};

/// The checked arguments of one `#[timeout]`.
pub(crate) struct TimeoutArgs {
    pub(crate) limit: Duration,
    pub(crate) krate: Option<Path>,
}

impl TimeoutArgs {
    /// Reads `#[timeout("30s")]`, `#[timeout(30)]` or
    /// `#[timeout(duration = "30s")]`. `None` when the duration is missing
    /// or refused; the reasons go into `errors`.
    pub(crate) fn parse(list: &[Arg], span: Span, errors: &mut Errors) -> Option<TimeoutArgs> {
        let mut settings = Settings::default();
        let mut krate = None;
        let mut given = 0;
        let mut positional: Option<&Arg> = None;
        let spans = args::read(
            "timeout",
            spec::KEYS,
            list,
            errors,
            |k, v| {
                given += usize::from(k.id == spec::DURATION.id);
                match v {
                    Some(Value::Duration(d)) => settings.duration = Some(d),
                    _ => settings.written.refuse(k),
                }
                Ok(None)
            },
            |k, arg| args::crate_path(arg, k).map(|p| krate = Some(p)),
            |arg, errors| {
                if positional.is_some() {
                    errors.add_at(arg.span(), "`#[timeout]` takes one duration");
                } else {
                    positional = Some(arg);
                }
            },
        );
        if let Some(arg) = positional {
            if given > 0 {
                // At the later of the two.
                let keyed = list
                    .iter()
                    .position(|a| a.key.as_ref().is_some_and(|k| k == "duration"));
                let here = list.iter().position(|a| std::ptr::eq(a, arg));
                let later = match (keyed, here) {
                    (Some(k), Some(p)) if k > p => &list[k],
                    _ => arg,
                };
                errors.add_at(later.span(), "`#[timeout]` takes one duration");
            } else {
                given += 1;
                let expr = arg
                    .value
                    .as_ref()
                    .expect("a positional argument is a value");
                let what = "the limit of `#[timeout]`";
                match args::duration_as(
                    expr,
                    what,
                    "`#[timeout(\"30s\")]` or `#[timeout(2.5)]` (seconds)",
                ) {
                    Ok(d) => settings.duration = Some(d),
                    Err(e) => {
                        settings.written.refuse(&spec::DURATION);
                        errors.push(e);
                    }
                }
            }
        }
        // Only when nothing else was written: an unknown key is most likely
        // a misspelt duration, and saying so twice is noise.
        let only_crate = list
            .iter()
            .all(|a| a.key.as_ref().is_some_and(|k| k == "crate"));
        if given == 0 && only_crate {
            errors.add_at(
                span,
                "`#[timeout]` needs a duration, as in `#[timeout(\"30s\")]`",
            );
        }
        let report = spec::check(&settings);
        match positional.and_then(|a| a.value.as_ref()) {
            // `#[timeout("0s")]`: the limit has no key to name.
            Some(expr) if given == 1 && spans.of(&spec::DURATION).is_none() => {
                for v in report.iter() {
                    let reason = v.reason(resilient_spec::Naming::Attribute);
                    errors.add(expr, format!("the limit of `#[timeout]` {reason}"));
                }
            }
            _ => spans.report(&report, span, errors),
        }
        match (settings.duration, report.is_empty()) {
            (Some(limit), true) => Some(TimeoutArgs { limit, krate }),
            _ => None,
        }
    }
}
