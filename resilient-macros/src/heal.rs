//! `#[self_heal(diagnoser = path, max = 2)]`: its arguments, read by the
//! keys and rules of the spec.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use resilient_spec::heal::{self as spec, Settings};
use syn::spanned::Spanned;
use syn::{Expr, Path};

use crate::args::{self, Arg, Errors, Spans};
use crate::retry::RetryArgs;

/// The checked arguments of one `#[self_heal]`.
pub(crate) struct HealArgs {
    pub(crate) diagnoser: Path,
    written: Spans,
    /// `then = retry(...)`: the retries after one diagnosis.
    then: Option<RetryArgs>,
    pub(crate) krate: Option<Path>,
}

impl HealArgs {
    /// `None` when the diagnoser is missing or invalid; the reasons go into
    /// `errors`.
    pub(crate) fn parse(list: &[Arg], span: Span, errors: &mut Errors) -> Option<HealArgs> {
        let mut settings = Settings::NEW;
        let (mut diagnoser, mut krate, mut then) = (None, None, None);
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
                    id if id == spec::THEN.id => then = Some(args::expr(arg, k)?),
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
        let then = then.and_then(|e| {
            settings.written.mark(&spec::THEN);
            then_retries(&e, errors)
        });
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
            then,
            krate,
        })
    }

    /// The policy, as a constant: only the settings given.
    pub(crate) fn config(&self, rt: &TokenStream) -> TokenStream {
        let then = self.then.as_ref().map(|r| {
            let retries = r.config(rt);
            quote::quote!(.then(#retries))
        });
        self.written
            .policy_and(rt, "heal", "HealConfig", then.into_token_stream())
    }
}

/// `then = retry(k = v, ...)`: the retry spec's keys and rules, at their
/// tokens; only a schedule (no time limits, predicates or named policy).
fn then_retries(value: &Expr, errors: &mut Errors) -> Option<RetryArgs> {
    let call = match value {
        Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if p.path.is_ident("retry")) => c,
        other => {
            errors.add_at(
                other.span(),
                "`then` takes a retry schedule, as in `then = retry(attempts = 3, backoff = \"500ms\")`",
            );
            return None;
        }
    };
    let list = match args::parse_args(call.args.to_token_stream()) {
        Ok(list) => list,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    let retries = RetryArgs::parse(&list, call.span(), errors);
    if let Some(at) = retries.code_key_or_time_limit() {
        errors.add_at(
            at,
            "`then` takes a schedule only (`max` or `attempts`, `backoff`, `schedule`, `factor`, `max_delay`, \
             `jitter`): its attempts run in the heal round, whose time limits are the layers inside",
        );
        return None;
    }
    Some(retries)
}
