//! `#[circuit_breaker(...)]`: arguments, checks, and the policy they build.

use std::time::Duration;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned as _;
use syn::{Expr, Lit, Path};

use crate::args::{self, Arg, Errors, Schema, Setters, Spanned};

const SCHEMA: Schema = Schema {
    attribute: "circuit_breaker",
    keys: &[
        "threshold",
        "cooldown",
        "half_open",
        "close_after",
        "failure_rate",
        "window",
        "min_calls",
        "slow_call",
        "slow_rate",
        "max_cooldown",
        "cooldown_jitter",
        "record_if",
        "name",
        "key",
        "max_keys",
        "crate",
    ],
};

// The runtime's defaults and limits, for the checks and their messages.
const DEFAULT_COOLDOWN: Duration = Duration::from_secs(60);
const DEFAULT_MAX_KEYS: u32 = 1024;
const MAX_PROBES: u32 = 10_000;
const MAX_WINDOW_CALLS: u64 = 10_000;
const DEFAULT_WINDOW_CALLS: u32 = 100;

#[derive(Clone, Copy, Debug)]
pub(crate) enum Window {
    Calls(u32),
    Time(Duration),
}

/// The checked arguments of one `#[circuit_breaker]`.
#[derive(Default)]
pub(crate) struct BreakerArgs {
    threshold: Option<Spanned<u32>>,
    cooldown: Option<Spanned<Duration>>,
    half_open: Option<Spanned<u32>>,
    close_after: Option<Spanned<u32>>,
    failure_rate: Option<Spanned<f64>>,
    window: Option<Spanned<Window>>,
    min_calls: Option<Spanned<u32>>,
    slow_call: Option<Spanned<Duration>>,
    slow_rate: Option<Spanned<f64>>,
    max_cooldown: Option<Spanned<Duration>>,
    cooldown_jitter: Option<Spanned<f64>>,
    pub(crate) record_if: Option<Path>,
    pub(crate) name: Option<Spanned<String>>,
    pub(crate) key: Option<Expr>,
    max_keys: Option<Spanned<u32>>,
    pub(crate) krate: Option<Path>,
    /// Every key written, valid or not, and where: a check across keys
    /// stays quiet about a key whose own value was refused.
    written: Vec<(&'static str, Span)>,
}

impl BreakerArgs {
    /// Parses and checks every argument, reporting all problems into `errors`.
    pub(crate) fn parse(args: &[Arg], errors: &mut Errors) -> BreakerArgs {
        let mut out = BreakerArgs::default();
        for (key, arg) in SCHEMA.check(args, errors) {
            out.written.push((key, arg.span()));
            let result = match key {
                "" => Err(syn::Error::new(
                    arg.span(),
                    "`#[circuit_breaker]` takes `key = value` arguments, \
                     as in `#[circuit_breaker(threshold = 5, cooldown = \"60s\")]`",
                )),
                "threshold" => args::positive_int(arg).map(|v| out.threshold = Some(v)),
                "cooldown" => args::duration(arg).map(|v| out.cooldown = Some(v)),
                "half_open" => args::positive_int(arg)
                    .and_then(|v| match v.value {
                        n if n > MAX_PROBES => Err(syn::Error::new(
                            v.span,
                            format!("`half_open` is at most {MAX_PROBES} probes, found {n}"),
                        )),
                        _ => Ok(v),
                    })
                    .map(|v| out.half_open = Some(v)),
                "close_after" => args::positive_int(arg).map(|v| out.close_after = Some(v)),
                "failure_rate" => args::fraction(arg, false).map(|v| out.failure_rate = Some(v)),
                "window" => window(arg).map(|v| out.window = Some(v)),
                "min_calls" => args::positive_int(arg).map(|v| out.min_calls = Some(v)),
                "slow_call" => args::duration(arg).map(|v| out.slow_call = Some(v)),
                "slow_rate" => args::fraction(arg, false).map(|v| out.slow_rate = Some(v)),
                "max_cooldown" => args::duration(arg).map(|v| out.max_cooldown = Some(v)),
                "cooldown_jitter" => {
                    args::fraction(arg, true).map(|v| out.cooldown_jitter = Some(v))
                }
                "record_if" => args::path(arg, "is_outage").map(|v| out.record_if = Some(v)),
                "name" => args::string(arg, "\"ocr\"").map(|v| out.name = Some(v)),
                "key" => args::expr(arg, "host").map(|v| out.key = Some(v)),
                "max_keys" => args::positive_int(arg).map(|v| out.max_keys = Some(v)),
                "crate" => args::crate_path(arg).map(|v| out.krate = Some(v)),
                _ => unreachable!("every key of the schema is handled"),
            };
            if let Err(e) = result {
                errors.push(e);
            }
        }
        out.check(errors);
        out
    }

    fn written(&self, key: &str) -> Option<Span> {
        self.written
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, s)| *s)
    }

    /// Checks across arguments.
    fn check(&self, errors: &mut Errors) {
        let modes: Vec<Span> = self
            .written
            .iter()
            .filter(|(k, _)| matches!(*k, "threshold" | "failure_rate"))
            .map(|(_, span)| *span)
            .collect();
        if let [_, second] = modes[..] {
            errors.add_at(
                second,
                "`threshold` and `failure_rate` are two ways to open the breaker; keep one: \
                 `threshold = N` consecutive failures, or `failure_rate = 0.5` over a `window`",
            );
        }
        if self.written("failure_rate").is_none() {
            for key in ["window", "min_calls", "slow_rate"] {
                if let Some(span) = self.written(key) {
                    errors.add_at(
                        span,
                        format!("`{key}` applies to a rate-based breaker; add `failure_rate = 0.5` (or another rate)"),
                    );
                }
            }
        } else if let (Some(m), None) = (&self.min_calls, self.written("window")) {
            if m.value > DEFAULT_WINDOW_CALLS {
                errors.add_at(
                    m.span,
                    format!(
                        "`min_calls` ({}) is more than the window holds ({DEFAULT_WINDOW_CALLS} calls, the default), \
                         so the breaker could never open; lower it or set a larger `window`",
                        m.value
                    ),
                );
            }
        }
        if let (Some(span), None) = (self.written("slow_rate"), self.written("slow_call")) {
            errors.add_at(
                span,
                "`slow_rate` needs `slow_call`, the duration above which a call is slow",
            );
        }
        if let (
            Some(m),
            Some(Spanned {
                value: Window::Calls(n),
                ..
            }),
        ) = (&self.min_calls, self.window)
        {
            if m.value > n {
                errors.add_at(
                    m.span,
                    format!("`min_calls` ({}) is more than the window holds ({n} calls), so the breaker could never open", m.value),
                );
            }
        }
        // Each check below compares with another key's value: not when that
        // value was written but refused.
        let half_open = match (&self.half_open, self.written("half_open")) {
            (Some(h), _) => Some((h.value, "")),
            (None, None) => Some((1, ", the default")),
            (None, Some(_)) => None,
        };
        if let (Some(c), Some((half_open, which))) = (&self.close_after, half_open) {
            if c.value > half_open {
                errors.add_at(
                    c.span,
                    format!(
                        "`close_after` ({}) is more than `half_open` ({half_open}{which}): \
                         only that many probes run, so the breaker could never close",
                        c.value
                    ),
                );
            }
        }
        let cooldown = match (&self.cooldown, self.written("cooldown")) {
            (Some(c), _) => Some((c.value, "")),
            (None, None) => Some((DEFAULT_COOLDOWN, ", the default")),
            (None, Some(_)) => None,
        };
        if let (Some(cap), Some((cooldown, which))) = (&self.max_cooldown, cooldown) {
            if cap.value < cooldown {
                errors.add_at(
                    cap.span,
                    format!(
                        "`max_cooldown` ({:?}) is below `cooldown` ({cooldown:?}{which}); \
                         the cap must be at least the first cooldown",
                        cap.value
                    ),
                );
            }
        }
        if let (Some(span), None) = (self.written("max_keys"), self.written("key")) {
            errors.add_at(
                span,
                "`max_keys` bounds the breakers of a `key = ...`; add a `key`",
            );
        }
        if let (Some(_), Some(span)) = (self.written("name"), self.written("key")) {
            errors.add_at(
                span,
                "`key` cannot be combined with `name`: `name` shares one breaker between functions, \
                 `key` keeps one breaker per value within this function; keep one",
            );
        }
    }

    /// The breaker's name: `name = "..."`, or the function's.
    pub(crate) fn breaker_name(&self, function: &str) -> String {
        self.name
            .as_ref()
            .map_or_else(|| function.to_string(), |n| n.value.clone())
    }

    /// The most breakers a `key` keeps.
    pub(crate) fn max_keys(&self) -> usize {
        self.max_keys.map_or(DEFAULT_MAX_KEYS, |m| m.value) as usize
    }

    /// `BreakerConfig::new().threshold(..)...`: only the settings given.
    pub(crate) fn config(&self, rt: &TokenStream) -> TokenStream {
        let mut s = Setters::new(rt);
        let window = self.window.map(|w| match w.value {
            Window::Calls(n) => quote!(#rt::Window::Calls(#n)),
            Window::Time(d) => {
                let d = s.duration_tokens(d);
                quote!(#rt::Window::Time(#d))
            }
        });
        s.int("threshold", &self.threshold);
        s.duration("cooldown", &self.cooldown);
        s.int("half_open", &self.half_open);
        s.int("close_after", &self.close_after);
        s.float("failure_rate", &self.failure_rate);
        s.set("window", window);
        s.int("min_calls", &self.min_calls);
        s.duration("slow_call", &self.slow_call);
        s.float("slow_rate", &self.slow_rate);
        s.duration("max_cooldown", &self.max_cooldown);
        s.float("cooldown_jitter", &self.cooldown_jitter);
        s.finish("BreakerConfig")
    }
}

/// `window = 100` (calls) or `window = "30s"` (time).
fn window(arg: &Arg) -> syn::Result<Spanned<Window>> {
    let expr = args::require_value(arg, "100")?;
    let span = expr.span();
    match args::literal(expr) {
        Some((true, Lit::Int(_))) => Err(syn::Error::new_spanned(
            expr,
            "`window` must be a positive number of calls, not negative",
        )),
        Some((false, Lit::Int(i))) => match i.base10_parse::<u64>()? {
            0 => Err(syn::Error::new(span, "`window` must be at least 1 call")),
            n if n > MAX_WINDOW_CALLS => Err(syn::Error::new(
                span,
                format!("`window` holds at most {MAX_WINDOW_CALLS} calls, found {n}; for more, use a time window such as `window = \"30s\"`"),
            )),
            n => Ok(Spanned { value: Window::Calls(n as u32), span }),
        },
        Some((false, Lit::Str(_))) => {
            let d = args::duration(arg)?;
            if d.value < Duration::from_millis(10) {
                return Err(syn::Error::new(d.span, "a time `window` must be at least 10ms"));
            }
            Ok(Spanned { value: Window::Time(d.value), span })
        }
        _ => Err(syn::Error::new_spanned(
            expr,
            "`window` is a number of calls (`window = 100`) or a duration string (`window = \"30s\"`)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(tokens: TokenStream) -> (BreakerArgs, Vec<String>) {
        let mut errors = Errors::default();
        let args = args::parse_args(tokens).unwrap();
        let out = BreakerArgs::parse(&args, &mut errors);
        (out, errors.messages())
    }

    #[test]
    fn defaults_emit_no_settings() {
        let (args, errors) = parse(quote!());
        assert!(errors.is_empty());
        assert_eq!(
            args.config(&quote!(rt)).to_string(),
            quote!(rt::BreakerConfig::new()).to_string()
        );
    }

    #[test]
    fn window_is_calls_or_time() {
        let (args, _) = parse(quote!(failure_rate = 0.5, window = 20));
        assert!(matches!(args.window.unwrap().value, Window::Calls(20)));
        let (args, _) = parse(quote!(failure_rate = 0.5, window = "30s"));
        assert!(
            matches!(args.window.unwrap().value, Window::Time(d) if d == Duration::from_secs(30))
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
