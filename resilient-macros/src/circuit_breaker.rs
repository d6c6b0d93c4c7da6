//! `#[circuit_breaker(...)]`: its arguments, read by the keys and rules of
//! the spec.

use proc_macro2::{Span, TokenStream};
use resilient_spec::circuit_breaker::{self as spec, Settings};
use syn::{Expr, Path};

use crate::args::{self, Arg, Errors, Spans};

/// The checked arguments of one `#[circuit_breaker]`.
#[derive(Default)]
pub(crate) struct BreakerArgs {
    pub(crate) settings: Settings,
    written: Spans,
    pub(crate) record_if: Option<Path>,
    pub(crate) name: Option<String>,
    pub(crate) key: Option<Expr>,
    pub(crate) krate: Option<Path>,
}

impl BreakerArgs {
    /// Reads and checks every argument, reporting all problems into `errors`.
    pub(crate) fn parse(list: &[Arg], span: Span, errors: &mut Errors) -> BreakerArgs {
        let mut settings = Settings::NEW;
        let mut out = BreakerArgs::default();
        let spans = args::read(
            "circuit_breaker",
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
                    id if id == spec::RECORD_IF.id => out.record_if = Some(args::path(arg, k)?),
                    id if id == spec::NAME.id => out.name = Some(args::text(arg, k)?),
                    id if id == spec::KEY.id => out.key = Some(args::expr(arg, k)?),
                    _ => out.krate = Some(args::crate_path(arg, k)?),
                }
                Ok(())
            },
            |arg, errors| {
                errors.add_at(
                    arg.span(),
                    "`#[circuit_breaker]` takes `key = value` arguments, \
                     as in `#[circuit_breaker(threshold = 5, cooldown = \"60s\")]`",
                )
            },
        );
        spans.report(&spec::check(&settings), span, errors);
        out.settings = settings;
        out.written = spans;
        out
    }

    /// The breaker's name: `name = "..."`, or the function's.
    pub(crate) fn breaker_name(&self, function: &str) -> String {
        self.name.clone().unwrap_or_else(|| function.to_string())
    }

    /// The most breakers a `key` keeps.
    pub(crate) fn max_keys(&self) -> usize {
        self.settings.resolve().max_keys as usize
    }

    /// The policy, as a constant: only the settings given.
    pub(crate) fn config(&self, rt: &TokenStream) -> TokenStream {
        self.written.policy(rt, "circuit_breaker", "BreakerConfig")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(tokens: TokenStream) -> (BreakerArgs, Vec<String>) {
        let mut errors = Errors::default();
        let list = args::parse_args(tokens).unwrap();
        let out = BreakerArgs::parse(&list, Span::call_site(), &mut errors);
        (out, errors.messages())
    }

    use resilient_spec::circuit_breaker::Window;

    #[test]
    fn window_is_calls_or_time() {
        let (args, _) = parse(quote!(failure_rate = 0.5, window = 20));
        assert_eq!(args.settings.window, Some(Window::Calls(20)));
        let (args, _) = parse(quote!(failure_rate = 0.5, window = "30s"));
        assert_eq!(
            args.settings.window,
            Some(Window::Time(std::time::Duration::from_secs(30)))
        );
    }

    #[test]
    fn every_error_is_reported() {
        let (_, errors) = parse(quote!(
            threshold = 0,
            failure_rate = 1.5,
            window = 10,
            min_calls = 20,
            close_after = 2,
            treshold = 1
        ));
        assert_eq!(errors.len(), 6, "{errors:#?}");
        assert!(errors
            .iter()
            .any(|e| e.contains("did you mean `threshold`")));
    }
}
