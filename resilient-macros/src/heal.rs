//! `#[self_heal(diagnoser = path, max = 2)]`: arguments and checks.

use std::time::Duration;

use proc_macro2::Span;
use syn::Path;

use crate::args::{self, Arg, Errors, Schema, Spanned};

const SCHEMA: Schema = Schema {
    attribute: "self_heal",
    keys: &["diagnoser", "max", "backoff", "crate"],
};

/// The checked arguments of one `#[self_heal]`.
pub(crate) struct HealArgs {
    pub(crate) diagnoser: Path,
    pub(crate) max: u32,
    pub(crate) backoff: Duration,
    pub(crate) krate: Option<Path>,
}

impl HealArgs {
    /// `None` when the diagnoser is missing or invalid; the reasons go into
    /// `errors`.
    pub(crate) fn parse(list: &[Arg], span: Span, errors: &mut Errors) -> Option<HealArgs> {
        let mut diagnoser = None;
        let mut max: Option<Spanned<u32>> = None;
        let mut backoff: Option<Spanned<Duration>> = None;
        let mut krate = None;
        let mut diagnoser_written = false;
        let known = SCHEMA.check(list, errors);
        // A misspelt or positional diagnoser is already reported.
        let all_understood = known.len() == list.len() && known.iter().all(|(k, _)| !k.is_empty());
        for (key, arg) in known {
            let result = match key {
                "" => Err(syn::Error::new(
                    arg.span(),
                    "`#[self_heal]` takes `key = value` arguments, \
                     as in `#[self_heal(diagnoser = diagnose, max = 2)]`",
                )),
                "diagnoser" => {
                    diagnoser_written = true;
                    args::path(arg, "diagnose").map(|p| diagnoser = Some(p))
                }
                "max" => args::positive_int(arg).map(|v| max = Some(v)),
                "backoff" => args::duration(arg).map(|v| backoff = Some(v)),
                "crate" => args::crate_path(arg).map(|p| krate = Some(p)),
                _ => unreachable!("every key of the schema is handled"),
            };
            if let Err(e) = result {
                errors.push(e);
            }
        }
        if !diagnoser_written && all_understood {
            errors.add_at(
                span,
                "`#[self_heal]` needs a diagnoser: `#[self_heal(diagnoser = diagnose)]`, an async fn \
                 taking the error and the call's arguments by reference and returning `resilient_async::Heal`",
            );
        }
        Some(HealArgs {
            diagnoser: diagnoser?,
            max: max.map_or(2, |m| m.value),
            backoff: backoff.map_or(Duration::from_millis(100), |b| b.value),
            krate,
        })
    }
}
