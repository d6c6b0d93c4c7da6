//! `#[timeout("30s")]`: arguments and checks.

use std::time::Duration;

use proc_macro2::Span;
use syn::Path;

use crate::args::{self, Arg, Errors, Schema, Spanned};

const SCHEMA: Schema = Schema {
    attribute: "timeout",
    keys: &["duration", "crate"],
};

/// The checked arguments of one `#[timeout]`.
pub(crate) struct TimeoutArgs {
    pub(crate) limit: Spanned<Duration>,
    pub(crate) krate: Option<Path>,
}

impl TimeoutArgs {
    /// Parses `#[timeout("30s")]`, `#[timeout(30)]` or
    /// `#[timeout(duration = "30s")]`. `None` when the duration is missing
    /// or invalid; the reasons go into `errors`.
    pub(crate) fn parse(args: &[Arg], span: Span, errors: &mut Errors) -> Option<TimeoutArgs> {
        let mut limit = None;
        let mut krate = None;
        let mut duration_given = false;

        for (key, arg) in SCHEMA.check(args, errors) {
            let result = match key {
                "" | "duration" => {
                    if duration_given {
                        errors.add_at(arg.span(), "`#[timeout]` takes one duration");
                        continue;
                    }
                    duration_given = true;
                    match (&arg.key, &arg.value) {
                        (None, Some(expr)) => args::duration_expr(
                            "`#[timeout]`",
                            "`#[timeout(\"30s\")]` or `#[timeout(2.5)]` (seconds)",
                            expr,
                        ),
                        _ => args::duration(arg),
                    }
                    .map(|d| limit = Some(d))
                }
                "crate" => args::crate_path(arg).map(|p| krate = Some(p)),
                _ => unreachable!("every key of the schema is handled"),
            };
            if let Err(e) = result {
                errors.push(e);
            }
        }
        // Only when nothing else was written: an unknown key is most likely
        // a misspelt duration, and saying so twice is noise.
        let only_crate = args
            .iter()
            .all(|a| a.key.as_ref().is_some_and(|k| k == "crate"));
        if !duration_given && only_crate {
            errors.add_at(
                span,
                "`#[timeout]` needs a duration, as in `#[timeout(\"30s\")]`",
            );
        }
        limit.map(|limit| TimeoutArgs { limit, krate })
    }
}
