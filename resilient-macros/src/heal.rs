//! `#[self_heal(diagnoser = path, max = 2)]`: its arguments, read by the
//! keys and rules of the spec.

use proc_macro2::{Span, TokenStream};
use resilient_spec::heal::{self as spec, Settings};
use syn::Path;

use crate::args::{self, Arg, Errors, Spans};

/// The checked arguments of one `#[self_heal]`.
pub(crate) struct HealArgs {
    pub(crate) diagnoser: Path,
    written: Spans,
    pub(crate) krate: Option<Path>,
}

impl HealArgs {
    /// `None` when the diagnoser is missing or invalid; the reasons go into
    /// `errors`.
    pub(crate) fn parse(list: &[Arg], span: Span, errors: &mut Errors) -> Option<HealArgs> {
        let mut settings = Settings::NEW;
        let (mut diagnoser, mut krate) = (None, None);
        // A misspelt or positional diagnoser is reported as such already.
        let understood = list.iter().all(|a| {
            a.key
                .as_ref()
                .is_some_and(|k| resilient_spec::find_key(spec::KEYS, &k.to_string()).is_ok())
        });
        let spans = args::read(
            "self_heal",
            spec::KEYS,
            list,
            errors,
            |k, v| match v {
                Some(v) => settings.set(k, v),
                None => Ok({
                    settings.written.refuse(k);
                    None
                }),
            },
            |k, arg| {
                match k.id {
                    id if id == spec::DIAGNOSER.id => diagnoser = Some(args::path(arg, k)?),
                    _ => krate = Some(args::crate_path(arg, k)?),
                }
                Ok(())
            },
            |arg, errors| {
                errors.add_at(
                    arg.span(),
                    "`#[self_heal]` takes `key = value` arguments, \
                     as in `#[self_heal(diagnoser = diagnose, max = 2)]`",
                )
            },
        );
        spans.report(&spec::check(&settings), span, errors);
        if spans.of(&spec::DIAGNOSER).is_none() && understood {
            errors.add_at(
                span,
                "`#[self_heal]` needs a diagnoser: `#[self_heal(diagnoser = diagnose)]`, an async fn \
                 taking the error and the call's arguments by reference and returning `resilient_async::Heal`",
            );
        }
        Some(HealArgs {
            diagnoser: diagnoser?,
            written: spans,
            krate,
        })
    }

    /// The policy, as a constant: only the settings given.
    pub(crate) fn config(&self, rt: &TokenStream) -> TokenStream {
        self.written.policy(rt, "heal", "HealConfig")
    }
}
