//! `#[retry(...)]`: its arguments, read by the keys and rules of the spec.

use proc_macro2::{Span, TokenStream};
use resilient_spec::retry::{self as spec, Settings};
use syn::Path;

use crate::args::{self, Arg, Errors, Spans};

/// The checked arguments of one `#[retry]`.
#[derive(Default)]
pub(crate) struct RetryArgs {
    pub(crate) settings: Settings,
    written: Spans,
    pub(crate) retry_if: Option<Path>,
    pub(crate) retry_on: Option<Path>,
    /// `policy = "ocr"`: the settings come from the loaded policy file.
    pub(crate) policy: Option<String>,
    pub(crate) krate: Option<Path>,
}

impl RetryArgs {
    /// Reads and checks every argument, reporting all problems into `errors`.
    pub(crate) fn parse(list: &[Arg], span: Span, errors: &mut Errors) -> RetryArgs {
        let mut out = RetryArgs::default();
        let mut settings = Settings::NEW;
        let mut code = Code::default();
        let spans = args::read(
            "retry",
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
            |k, arg| code.take(k, arg),
            |arg, errors| {
                errors.add_at(
                    arg.span(),
                    "`#[retry]` takes `key = value` arguments, as in `#[retry(max = 3, backoff = \"100ms\")]`",
                )
            },
        );
        spans.report(&spec::check(&settings), span, errors);
        out.settings = settings;
        out.written = spans;
        (out.retry_if, out.retry_on, out.policy, out.krate) =
            (code.retry_if, code.retry_on, code.policy, code.krate);
        out
    }

    /// Where a key that a schedule alone cannot take was written: a time
    /// limit, a predicate, a named policy or a crate path.
    pub(crate) fn code_key_or_time_limit(&self) -> Option<Span> {
        [
            &spec::TIMEOUT,
            &spec::TIMEOUT_FACTOR,
            &spec::DEADLINE,
            &spec::RETRY_IF,
            &spec::RETRY_ON,
            &spec::POLICY,
            &spec::CRATE,
        ]
        .into_iter()
        .find_map(|k| self.written.of(k))
    }

    /// Whether attempts run under a time limit, which needs
    /// `E: From<TimedOut>`.
    pub(crate) fn is_timed(&self) -> bool {
        self.settings.is_timed()
    }

    /// The policy, as a constant: only the settings given.
    pub(crate) fn config(&self, rt: &TokenStream) -> TokenStream {
        self.written.policy(rt, "retry", "RetryConfig")
    }
}

/// The keys of code: kept as tokens for the expansion.
#[derive(Default)]
struct Code {
    retry_if: Option<Path>,
    retry_on: Option<Path>,
    policy: Option<String>,
    krate: Option<Path>,
}

impl Code {
    fn take(&mut self, key: &'static resilient_spec::Key, arg: &Arg) -> syn::Result<()> {
        match key.id {
            id if id == spec::RETRY_IF.id => self.retry_if = Some(args::path(arg, key)?),
            id if id == spec::RETRY_ON.id => self.retry_on = Some(args::path(arg, key)?),
            id if id == spec::POLICY.id => self.policy = Some(args::text(arg, key)?),
            _ => self.krate = Some(args::crate_path(arg, key)?),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(tokens: TokenStream) -> (RetryArgs, Vec<String>) {
        let mut errors = Errors::default();
        let list = args::parse_args(tokens).unwrap();
        let out = RetryArgs::parse(&list, Span::call_site(), &mut errors);
        (out, errors.messages())
    }

    #[test]
    fn every_error_is_reported() {
        let (_, errors) = parse(quote!(
            attempts = 0,
            max = 2,
            backoff = "60x",
            maxx = 1,
            factor = 0.5
        ));
        assert_eq!(errors.len(), 5, "{errors:#?}");
        assert!(
            errors.iter().any(|e| e.contains("did you mean `max`")),
            "{errors:#?}"
        );
    }

    #[test]
    fn seconds_and_strings_are_durations() {
        let (args, errors) = parse(quote!(backoff = 2.0, max_delay = "1m 30s", timeout = 30));
        assert!(errors.is_empty(), "{errors:#?}");
        let s = args.settings;
        assert_eq!(s.backoff, Some(std::time::Duration::from_secs(2)));
        assert_eq!(s.max_delay, Some(std::time::Duration::from_secs(90)));
        assert_eq!(s.timeout, Some(std::time::Duration::from_secs(30)));
    }

    #[test]
    fn a_refused_value_silences_the_rules_across_keys() {
        // `backoff` is refused; no "max_delay below backoff" about it.
        let (_, errors) = parse(quote!(backoff = "2x", max_delay = "1s"));
        assert_eq!(errors.len(), 1, "{errors:#?}");
    }
}
