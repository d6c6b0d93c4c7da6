//! `#[retry(...)]`: arguments, checks, and the policy they build.

use std::time::Duration;

use proc_macro2::TokenStream;
use quote::quote;
use syn::Path;

use crate::args::{self, Arg, Errors, Schema, Setters, Spanned};

const SCHEMA: Schema = Schema {
    attribute: "retry",
    keys: &[
        "max",
        "attempts",
        "backoff",
        "schedule",
        "factor",
        "max_delay",
        "jitter",
        "timeout",
        "timeout_factor",
        "deadline",
        "retry_if",
        "policy",
        "crate",
    ],
};

// The runtime's defaults, for messages that compare against them.
const DEFAULT_BACKOFF: Duration = Duration::from_millis(100);
const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(30);

#[derive(Clone, Copy)]
pub(crate) enum Schedule {
    Exponential,
    Linear,
    Constant,
}

#[derive(Clone, Copy)]
pub(crate) enum Jitter {
    None,
    Full,
    Equal,
    Decorrelated,
}

/// The checked arguments of one `#[retry]`.
#[derive(Default)]
pub(crate) struct RetryArgs {
    /// Where `max` and `attempts` were written, valid or not, for the
    /// conflict between them.
    count_keys: Vec<proc_macro2::Span>,
    max: Option<Spanned<u32>>,
    attempts: Option<Spanned<u32>>,
    backoff: Option<Spanned<Duration>>,
    schedule: Option<Spanned<Schedule>>,
    factor: Option<Spanned<f64>>,
    max_delay: Option<Spanned<Duration>>,
    jitter: Option<Spanned<Jitter>>,
    pub(crate) timeout: Option<Spanned<Duration>>,
    timeout_factor: Option<Spanned<f64>>,
    pub(crate) deadline: Option<Spanned<Duration>>,
    pub(crate) retry_if: Option<Path>,
    /// `policy = "ocr"`: the settings come from the loaded policy file.
    pub(crate) policy: Option<Spanned<String>>,
    pub(crate) krate: Option<Path>,
    /// Every key written, valid or not: a check across keys stays quiet
    /// about a key whose own value was refused.
    written: Vec<&'static str>,
}

impl RetryArgs {
    /// Parses and checks every argument, reporting all problems into `errors`.
    pub(crate) fn parse(args: &[Arg], errors: &mut Errors) -> RetryArgs {
        let mut out = RetryArgs::default();
        for (key, arg) in SCHEMA.check(args, errors) {
            out.written.push(key);
            if key == "max" || key == "attempts" {
                out.count_keys.push(arg.span());
            }
            let result = match key {
                "" => Err(syn::Error::new(
                    arg.span(),
                    "`#[retry]` takes `key = value` arguments, as in `#[retry(max = 3, backoff = \"100ms\")]`",
                )),
                "max" => args::positive_int(arg).map(|v| out.max = Some(v)),
                "attempts" => args::positive_int(arg).map(|v| out.attempts = Some(v)),
                "backoff" => args::duration(arg).map(|v| out.backoff = Some(v)),
                "schedule" => args::choice(
                    arg,
                    &[
                        ("exponential", Schedule::Exponential),
                        ("linear", Schedule::Linear),
                        ("constant", Schedule::Constant),
                    ],
                )
                .map(|v| out.schedule = Some(v)),
                "factor" => args::float_at_least(arg, 1.0).map(|v| out.factor = Some(v)),
                "max_delay" => args::duration(arg).map(|v| out.max_delay = Some(v)),
                "jitter" => match arg.value {
                    None => {
                        out.jitter = Some(Spanned {
                            value: Jitter::Full,
                            span: arg.span(),
                        });
                        Ok(())
                    }
                    Some(_) => args::choice(
                        arg,
                        &[
                            ("full", Jitter::Full),
                            ("equal", Jitter::Equal),
                            ("decorrelated", Jitter::Decorrelated),
                            ("none", Jitter::None),
                        ],
                    )
                    .map(|v| out.jitter = Some(v)),
                },
                "timeout" => args::duration(arg).map(|v| out.timeout = Some(v)),
                "timeout_factor" => {
                    args::float_at_least(arg, 1.0).map(|v| out.timeout_factor = Some(v))
                }
                "deadline" => args::duration(arg).map(|v| out.deadline = Some(v)),
                "retry_if" => args::path(arg, "is_retryable").map(|v| out.retry_if = Some(v)),
                "policy" => args::string(arg, "\"ocr\"").map(|v| out.policy = Some(v)),
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

    /// Checks across arguments.
    fn check(&self, errors: &mut Errors) {
        if let Some(policy) = &self.policy {
            for key in self
                .written
                .iter()
                .filter(|k| !matches!(**k, "policy" | "retry_if" | "crate"))
            {
                errors.add_at(
                    policy.span,
                    format!(
                        "`policy = \"{}\"` takes every retry setting from the policy file, so `{key}` cannot be \
                         set here too; set it in the file, or drop `policy`",
                        policy.value
                    ),
                );
            }
        }
        if let [_, second] = self.count_keys[..] {
            errors.add_at(
                second,
                "`max` and `attempts` both set the number of attempts; keep one \
                 (`max = N` retries after the first call, `attempts = N + 1` counts it)",
            );
        }
        if let Some(max) = &self.max {
            if max.value == u32::MAX {
                errors.add_at(max.span, "`max` is too large (at most 4294967294)");
            }
        }
        // Compared with `backoff` only when it is valid or not written.
        let backoff_refused = self.backoff.is_none() && self.written.contains(&"backoff");
        let backoff = self.backoff.map_or(DEFAULT_BACKOFF, |b| b.value);
        match &self.max_delay {
            _ if backoff_refused => {}
            Some(cap) if cap.value < backoff => {
                let which = if self.backoff.is_some() {
                    ""
                } else {
                    ", the default"
                };
                errors.add_at(
                    cap.span,
                    format!(
                        "`max_delay` ({:?}) is below `backoff` ({backoff:?}{which}); \
                         the cap must be at least the first delay",
                        cap.value
                    ),
                );
            }
            None if backoff > DEFAULT_MAX_DELAY => {
                let span = self.backoff.map(|b| b.span).unwrap();
                errors.add_at(
                    span,
                    format!(
                        "`backoff` ({backoff:?}) is above the default `max_delay` (30s); \
                         raise `max_delay` too"
                    ),
                );
            }
            _ => {}
        }
        if let (
            Some(factor),
            Some(Spanned {
                value: Schedule::Linear | Schedule::Constant,
                ..
            }),
        ) = (&self.factor, &self.schedule)
        {
            errors.add_at(
                factor.span,
                "`factor` applies only to `schedule = \"exponential\"`",
            );
        }
        if let (Some(f), false) = (&self.timeout_factor, self.written.contains(&"timeout")) {
            errors.add_at(f.span, "`timeout_factor` needs a `timeout` to grow");
        }
        if let (Some(t), Some(d)) = (&self.timeout, &self.deadline) {
            if t.value > d.value {
                errors.add_at(
                    t.span,
                    format!(
                        "`timeout` ({:?}) is longer than `deadline` ({:?}), so it can never fire",
                        t.value, d.value
                    ),
                );
            }
        }
    }

    /// Whether attempts run under a time limit, which needs `E: From<TimedOut>`.
    /// A named policy may set one, so it always counts as timed.
    pub(crate) fn is_timed(&self) -> bool {
        self.timeout.is_some() || self.deadline.is_some() || self.policy.is_some()
    }

    /// `RetryConfig::new().max_retries(..)...`: only the settings given.
    pub(crate) fn config(&self, rt: &TokenStream) -> TokenStream {
        let schedule = self.schedule.map(|s| match s.value {
            Schedule::Exponential => quote!(#rt::Schedule::Exponential),
            Schedule::Linear => quote!(#rt::Schedule::Linear),
            Schedule::Constant => quote!(#rt::Schedule::Constant),
        });
        let jitter = self.jitter.map(|j| match j.value {
            Jitter::None => quote!(#rt::Jitter::None),
            Jitter::Full => quote!(#rt::Jitter::Full),
            Jitter::Equal => quote!(#rt::Jitter::Equal),
            Jitter::Decorrelated => quote!(#rt::Jitter::Decorrelated),
        });
        let mut s = Setters::new(rt);
        s.int("max_retries", &self.max);
        s.int("attempts", &self.attempts);
        s.duration("backoff", &self.backoff);
        s.set("schedule", schedule);
        s.float("factor", &self.factor);
        s.duration("max_delay", &self.max_delay);
        s.set("jitter", jitter);
        s.duration("timeout", &self.timeout);
        s.float("timeout_factor", &self.timeout_factor);
        s.duration("deadline", &self.deadline);
        s.finish("RetryConfig")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(tokens: TokenStream) -> (RetryArgs, Vec<String>) {
        let mut errors = Errors::default();
        let args = args::parse_args(tokens).unwrap();
        let out = RetryArgs::parse(&args, &mut errors);
        (out, errors.messages())
    }

    fn errors_of(tokens: TokenStream) -> Vec<String> {
        let mut errors = Errors::default();
        let args = args::parse_args(tokens).unwrap();
        RetryArgs::parse(&args, &mut errors);
        errors.messages()
    }

    #[test]
    fn defaults_emit_no_settings() {
        let (args, _) = parse(quote!());
        let rt = quote!(rt);
        assert_eq!(
            args.config(&rt).to_string(),
            quote!(rt::RetryConfig::new()).to_string()
        );
    }

    #[test]
    fn every_error_is_reported() {
        let errors = errors_of(quote!(
            max = 0,
            attempts = 2,
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
        let (args, _) = parse(quote!(backoff = 2.0, max_delay = "1m 30s", timeout = 30));
        assert_eq!(args.backoff.unwrap().value, Duration::from_secs(2));
        assert_eq!(args.max_delay.unwrap().value, Duration::from_secs(90));
        assert_eq!(args.timeout.unwrap().value, Duration::from_secs(30));
    }
}
