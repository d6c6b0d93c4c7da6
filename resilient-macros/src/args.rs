//! Parsing of attribute arguments into typed values, shared by every
//! attribute: `key`, `key = value`, or a bare positional value.

use std::time::Duration;

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::discouraged::Speculative;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, ExprUnary, Ident, Lit, LitStr, Path, Token, UnOp};

/// Collects every error of an expansion, so the user sees all of them at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// An error spanning all of `tokens`.
    pub(crate) fn add(&mut self, tokens: impl quote::ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    pub(crate) fn add_at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    #[cfg(test)]
    pub(crate) fn messages(&self) -> Vec<String> {
        self.0
            .iter()
            .flat_map(|e| e.clone())
            .map(|e| e.to_string())
            .collect()
    }

    pub(crate) fn into_compile_errors(self) -> TokenStream {
        self.0.map(|e| e.to_compile_error()).unwrap_or_default()
    }
}

/// One argument as written.
pub(crate) struct Arg {
    /// `None` for a positional value such as `#[timeout("30s")]`.
    pub(crate) key: Option<Ident>,
    pub(crate) value: Option<Expr>,
}

impl Arg {
    pub(crate) fn span(&self) -> Span {
        match (&self.key, &self.value) {
            (Some(k), _) => k.span(),
            (None, Some(v)) => v.span(),
            (None, None) => Span::call_site(),
        }
    }
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        // `crate` is a keyword, so keys are read with `parse_any`.
        if input.peek(Ident::peek_any) && !input.peek2(Token![::]) {
            let fork = input.fork();
            let key = Ident::parse_any(&fork)?;
            if fork.is_empty() || fork.peek(Token![,]) || fork.peek(Token![=]) {
                input.advance_to(&fork);
                let value = if input.parse::<Option<Token![=]>>()?.is_some() {
                    Some(input.parse()?)
                } else {
                    None
                };
                return Ok(Arg {
                    key: Some(key),
                    value,
                });
            }
        }
        Ok(Arg {
            key: None,
            value: Some(input.parse()?),
        })
    }
}

pub(crate) fn parse_args(tokens: TokenStream) -> syn::Result<Vec<Arg>> {
    let list = Punctuated::<Arg, Token![,]>::parse_terminated.parse2(tokens)?;
    Ok(list.into_iter().collect())
}

/// What an attribute accepts: its name and its keys, for the messages.
pub(crate) struct Schema {
    pub(crate) attribute: &'static str,
    pub(crate) keys: &'static [&'static str],
}

impl Schema {
    /// Splits `args` by key, reporting unknown and repeated keys. Returns the
    /// known arguments in the order written.
    pub(crate) fn check<'a>(
        &self,
        args: &'a [Arg],
        errors: &mut Errors,
    ) -> Vec<(&'static str, &'a Arg)> {
        let mut seen: Vec<(&'static str, &'a Arg)> = Vec::new();
        for arg in args {
            let Some(key) = &arg.key else {
                // Positional values are handled by the attribute itself.
                seen.push(("", arg));
                continue;
            };
            let name = key.unraw().to_string();
            let Some(known) = self.keys.iter().find(|k| **k == name) else {
                errors.add(key, self.unknown_key(&name));
                continue;
            };
            if seen.iter().any(|(k, _)| k == known) {
                errors.add(
                    key,
                    format!("`{name}` is given twice in `#[{}]`", self.attribute),
                );
                continue;
            }
            seen.push((known, arg));
        }
        seen
    }

    fn unknown_key(&self, name: &str) -> String {
        let mut message = format!("unknown argument `{name}` for `#[{}]`", self.attribute);
        let best = self
            .keys
            .iter()
            .map(|k| (strsim::damerau_levenshtein(k, name), *k))
            .min();
        if let Some((distance, key)) = best {
            if distance <= 2 || (distance <= 3 && name.len() >= 7) {
                message.push_str(&format!("; did you mean `{key}`?"));
            }
        }
        let keys = self.keys.iter().map(|k| format!("`{k}`"));
        message.push_str(&format!(
            " (expected one of: {})",
            keys.collect::<Vec<_>>().join(", ")
        ));
        message
    }
}

/// A value with the span of the tokens it came from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

pub(crate) fn require_value<'a>(arg: &'a Arg, what: &str) -> syn::Result<&'a Expr> {
    arg.value.as_ref().ok_or_else(|| {
        let key = arg.key.as_ref().map(|k| k.to_string()).unwrap_or_default();
        syn::Error::new(
            arg.span(),
            format!("`{key}` needs a value: `{key} = {what}`"),
        )
    })
}

/// A literal, seeing through a leading minus sign so that `-1` is reported
/// as a negative value rather than as a wrong type.
pub(crate) fn literal(expr: &Expr) -> Option<(bool, &Lit)> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => Some((false, lit)),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => match &**expr {
            Expr::Lit(ExprLit { lit, .. }) => Some((true, lit)),
            _ => None,
        },
        _ => None,
    }
}

/// `key = N` with N a positive whole number.
pub(crate) fn positive_int(arg: &Arg) -> syn::Result<Spanned<u32>> {
    let key = arg.key.as_ref().map(|k| k.to_string()).unwrap_or_default();
    let expr = require_value(arg, "3")?;
    let span = expr.span();
    match literal(expr) {
        Some((false, Lit::Int(i))) => {
            let n: u64 = i.base10_parse()?;
            if n == 0 {
                return Err(syn::Error::new(span, format!("`{key}` must be at least 1")));
            }
            let value = u32::try_from(n).map_err(|_| {
                syn::Error::new(span, format!("`{key}` is too large (at most {})", u32::MAX))
            })?;
            Ok(Spanned { value, span })
        }
        Some((true, Lit::Int(_) | Lit::Float(_))) => Err(syn::Error::new_spanned(
            expr,
            format!("`{key}` must be a positive whole number, not negative"),
        )),
        _ => Err(syn::Error::new(
            span,
            format!("`{key}` must be a whole number, as in `{key} = 3`"),
        )),
    }
}

/// `key = 2.0` (or `2`) with a finite value at least `min`.
pub(crate) fn float_at_least(arg: &Arg, min: f64) -> syn::Result<Spanned<f64>> {
    let key = arg.key.as_ref().map(|k| k.to_string()).unwrap_or_default();
    let expr = require_value(arg, "2.0")?;
    let span = expr.span();
    let (negative, value) = match literal(expr) {
        Some((neg, Lit::Float(f))) => (neg, f.base10_parse::<f64>()?),
        Some((neg, Lit::Int(i))) => (neg, i.base10_parse::<u64>()? as f64),
        _ => {
            return Err(syn::Error::new(
                span,
                format!("`{key}` must be a number, as in `{key} = 2.0`"),
            ))
        }
    };
    let value = if negative { -value } else { value };
    if !value.is_finite() || value < min {
        return Err(syn::Error::new_spanned(
            expr,
            format!("`{key}` must be at least {min:.1}, found {value}"),
        ));
    }
    Ok(Spanned { value, span })
}

/// `key = 0.5`: a share, in (0, 1] or, with `zero_ok`, in [0, 1).
pub(crate) fn fraction(arg: &Arg, zero_ok: bool) -> syn::Result<Spanned<f64>> {
    let key = arg.key.as_ref().map(|k| k.to_string()).unwrap_or_default();
    let expr = require_value(arg, "0.5")?;
    let span = expr.span();
    let value = match literal(expr) {
        Some((neg, Lit::Float(f))) => f.base10_parse::<f64>()? * if neg { -1.0 } else { 1.0 },
        Some((neg, Lit::Int(i))) => i.base10_parse::<u64>()? as f64 * if neg { -1.0 } else { 1.0 },
        _ => {
            return Err(syn::Error::new(
                span,
                format!("`{key}` must be a number, as in `{key} = 0.5`"),
            ))
        }
    };
    let (ok, range) = if zero_ok {
        (
            (0.0..1.0).contains(&value),
            "from 0 up to (not including) 1",
        )
    } else {
        (value > 0.0 && value <= 1.0, "above 0 and at most 1")
    };
    if !ok {
        let hint = if !zero_ok && (2.0..=100.0).contains(&value) && value.fract() == 0.0 {
            format!(" (for {value}%, write {})", value / 100.0)
        } else {
            String::new()
        };
        return Err(syn::Error::new_spanned(
            expr,
            format!("`{key}` must be {range}, found {value:?}{hint}"),
        ));
    }
    Ok(Spanned { value, span })
}

/// `key = "text"`: a non-empty string.
pub(crate) fn string(arg: &Arg, example: &str) -> syn::Result<Spanned<String>> {
    let key = arg.key.as_ref().map(|k| k.to_string()).unwrap_or_default();
    let expr = require_value(arg, example)?;
    match literal(expr) {
        Some((false, Lit::Str(s))) if !s.value().trim().is_empty() => Ok(Spanned {
            value: s.value(),
            span: expr.span(),
        }),
        Some((false, Lit::Str(_))) => Err(syn::Error::new(
            expr.span(),
            format!("`{key}` must not be empty"),
        )),
        _ => Err(syn::Error::new(
            expr.span(),
            format!("`{key}` must be a string, as in `{key} = {example}`"),
        )),
    }
}

/// `key = expr`: any expression, checked by rustc where it is used.
pub(crate) fn expr(arg: &Arg, example: &str) -> syn::Result<Expr> {
    require_value(arg, example).cloned()
}

/// A duration: a string such as `"100ms"`, `"30s"`, `"2m"`, `"1h 30m"`, or a
/// number of seconds such as `2` or `0.5`. Zero and negative values are refused.
pub(crate) fn duration(arg: &Arg) -> syn::Result<Spanned<Duration>> {
    let key = arg.key.as_ref().map(|k| k.to_string()).unwrap_or_default();
    let expr = require_value(arg, "\"30s\"")?;
    let example = format!("`{key} = \"30s\"` or `{key} = 2.5` (seconds)");
    duration_expr(&format!("`{key}`"), &example, expr)
}

/// A duration for `what` (such as "`backoff`"), with `example` in the
/// message when it is not one.
pub(crate) fn duration_expr(
    what: &str,
    example: &str,
    expr: &Expr,
) -> syn::Result<Spanned<Duration>> {
    let span = expr.span();
    let error = |message: String| Err(syn::Error::new_spanned(expr, message));
    let value = match literal(expr) {
        Some((false, Lit::Str(s))) => match parse_duration_str(s) {
            Ok(d) => d,
            Err(m) => return error(format!("invalid duration for {what}: {m}")),
        },
        Some((false, Lit::Int(i))) => Duration::from_secs(i.base10_parse()?),
        Some((false, Lit::Float(f))) => match Duration::try_from_secs_f64(f.base10_parse()?) {
            Ok(d) => d,
            Err(_) => return error(format!("{what} is out of range")),
        },
        Some((true, Lit::Int(_) | Lit::Float(_))) => {
            return error(format!("{what} must be positive, not negative"))
        }
        _ => {
            return error(format!(
                "{what} must be a literal duration, such as {example}"
            ))
        }
    };
    if value.is_zero() {
        return error(format!("{what} must be greater than zero"));
    }
    if value.as_nanos() > u64::MAX as u128 {
        return error(format!("{what} is too long (at most 584 years)"));
    }
    Ok(Spanned { value, span })
}

fn parse_duration_str(s: &LitStr) -> Result<Duration, String> {
    let text = s.value();
    if text.trim().is_empty() {
        return Err("it is empty; write a number and a unit, such as \"30s\"".into());
    }
    const UNITS: &str = "write a number and a unit: ms, s, m, h (such as \"500ms\" or \"1m 30s\")";
    humantime::parse_duration(&text).map_err(|e| match e {
        humantime::DurationError::UnknownUnit { unit, .. } if unit.is_empty() => {
            format!("\"{text}\" has no unit; {UNITS}")
        }
        humantime::DurationError::UnknownUnit { unit, .. } => {
            format!("\"{text}\" has an unknown unit \"{unit}\"; {UNITS}")
        }
        humantime::DurationError::NumberOverflow => format!("\"{text}\" is too long"),
        _ => format!("\"{text}\" is not a duration; {UNITS}"),
    })
}

/// `key = "one"` with one of `choices`.
pub(crate) fn choice<T: Copy>(arg: &Arg, choices: &[(&str, T)]) -> syn::Result<Spanned<T>> {
    let key = arg.key.as_ref().map(|k| k.to_string()).unwrap_or_default();
    let list = choices
        .iter()
        .map(|(n, _)| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let expr = require_value(arg, choices[0].0)?;
    let span = expr.span();
    match literal(expr) {
        Some((false, Lit::Str(s))) => {
            let text = s.value();
            choices
                .iter()
                .find(|(n, _)| *n == text)
                .map(|(_, v)| Spanned { value: *v, span })
                .ok_or_else(|| {
                    syn::Error::new(
                        span,
                        format!("unknown `{key}` \"{text}\"; expected one of: {list}"),
                    )
                })
        }
        _ => Err(syn::Error::new(
            span,
            format!("`{key}` must be a string, one of: {list}"),
        )),
    }
}

/// `key = path::to::item`; `example` names a typical function.
pub(crate) fn path(arg: &Arg, example: &str) -> syn::Result<Path> {
    let key = arg.key.as_ref().map(|k| k.to_string()).unwrap_or_default();
    match require_value(arg, example)? {
        Expr::Path(p) if p.qself.is_none() => Ok(p.path.clone()),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` must be a path to a function, as in `{key} = {example}`"),
        )),
    }
}

/// `crate = "path"`: where the runtime is, for crates that re-export it.
pub(crate) fn crate_path(arg: &Arg) -> syn::Result<Path> {
    let expr = require_value(arg, "\"my_crate::resilient_async\"")?;
    match literal(expr) {
        Some((false, Lit::Str(s))) => s.parse::<Path>().map_err(|_| {
            syn::Error::new(
                expr.span(),
                "`crate` must be a path, as in `crate = \"my_crate::resilient_async\"`",
            )
        }),
        _ => Err(syn::Error::new(
            expr.span(),
            "`crate` must be a string holding a path, as in `crate = \"my_crate::resilient_async\"`",
        )),
    }
}

/// Writes checked values back as tokens for a runtime config's `const fn`
/// setters.
pub(crate) struct Setters<'a> {
    rt: &'a TokenStream,
    calls: Vec<TokenStream>,
}

impl<'a> Setters<'a> {
    pub(crate) fn new(rt: &'a TokenStream) -> Self {
        Setters {
            rt,
            calls: Vec::new(),
        }
    }

    /// `.setter(value)`, when the value was given: only the settings given,
    /// so that the runtime's defaults stay the one source of truth.
    pub(crate) fn set(&mut self, setter: &str, value: Option<TokenStream>) {
        if let Some(v) = value {
            let setter = Ident::new(setter, Span::call_site());
            self.calls.push(quote::quote!(.#setter(#v)));
        }
    }

    pub(crate) fn int(&mut self, setter: &str, v: &Option<Spanned<u32>>) {
        self.set(
            setter,
            v.map(|v| quote::ToTokens::to_token_stream(&v.value)),
        );
    }

    pub(crate) fn float(&mut self, setter: &str, v: &Option<Spanned<f64>>) {
        let literal = v.map(|v| proc_macro2::Literal::f64_suffixed(v.value));
        self.set(setter, literal.map(quote::ToTokens::into_token_stream));
    }

    pub(crate) fn duration(&mut self, setter: &str, v: &Option<Spanned<Duration>>) {
        let tokens = v.map(|v| self.duration_tokens(v.value));
        self.set(setter, tokens);
    }

    /// `Duration::from_nanos(..)` through the runtime's door.
    pub(crate) fn duration_tokens(&self, d: Duration) -> TokenStream {
        let (rt, nanos) = (self.rt, d.as_nanos() as u64);
        quote::quote!(#rt::Duration::from_nanos(#nanos))
    }

    /// `<config>::new()` followed by the setters.
    pub(crate) fn finish(self, config: &str) -> TokenStream {
        let (rt, calls) = (self.rt, self.calls);
        let config = Ident::new(config, Span::call_site());
        quote::quote!(#rt::#config::new() #(#calls)*)
    }
}
