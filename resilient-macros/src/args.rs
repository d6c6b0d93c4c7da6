//! Attribute arguments: `key`, `key = value`, or a bare positional value,
//! read into a capability's settings by the keys of its spec, and the
//! spec's refusals placed at the tokens.

use proc_macro2::{Span, TokenStream};
use resilient_spec::{
    self as spec, Key, Kind, Naming, Reason, Report, Value, Violation, WrongKind,
};
use syn::ext::IdentExt;
use syn::parse::discouraged::Speculative;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, ExprUnary, Ident, Lit, Path, Token, UnOp};

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

    /// Where a refusal of the value points: the value, or the key alone.
    pub(crate) fn value_span(&self) -> Span {
        self.value
            .as_ref()
            .map_or_else(|| self.span(), |v| v.span())
    }

    fn name(&self) -> String {
        self.key
            .as_ref()
            .map(|k| k.unraw().to_string())
            .unwrap_or_default()
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

/// What an attribute wrote: where each key was (the key, and the tokens of
/// its value, the key itself when it has none), and each value read.
#[derive(Default)]
pub(crate) struct Spans {
    keys: Vec<(&'static Key, Span, TokenStream)>,
    values: Vec<(&'static Key, Value)>,
}

impl Spans {
    /// The policy the values make, as a constant: `<config>::new()`, each
    /// value given with `.with(key, value)`, then `build()`. Only the
    /// values written, so that the runtime's defaults stay the one source
    /// of truth; the attribute has refused what breaks a rule, so the
    /// build never fails.
    pub(crate) fn policy(&self, rt: &TokenStream, spec: &str, config: &str) -> TokenStream {
        self.policy_and(rt, spec, config, TokenStream::new())
    }

    /// [`policy`](Self::policy), with `more` builder calls before `build`.
    pub(crate) fn policy_and(
        &self,
        rt: &TokenStream,
        spec: &str,
        config: &str,
        more: TokenStream,
    ) -> TokenStream {
        let spec = Ident::new(spec, Span::call_site());
        let config = Ident::new(config, Span::call_site());
        let settings = self.values.iter().map(|(key, value)| {
            let id = usize::from(key.id);
            let value = value_tokens(rt, *value);
            quote::quote!(.with(&#rt::spec::#spec::KEYS[#id], #value))
        });
        quote::quote!(#rt::#config::new() #(#settings)* #more .checked())
    }

    /// Where `key` was written.
    pub(crate) fn of(&self, key: &Key) -> Option<Span> {
        self.keys
            .iter()
            .find(|(k, ..)| k.id == key.id)
            .map(|(_, k, _)| *k)
    }

    /// Places every violation of `report`: at the value when the value is
    /// at fault, at the key when it is the keys together.
    pub(crate) fn report(&self, report: &Report, fallback: Span, errors: &mut Errors) {
        for v in report.iter() {
            self.violation(v, fallback, errors);
        }
    }

    pub(crate) fn violation(&self, v: &Violation, fallback: Span, errors: &mut Errors) {
        let about_keys = matches!(v.reason, Reason::Text { other: Some(_), .. });
        let message = v.message(Naming::Attribute);
        match self.keys.iter().find(|(k, ..)| k.id == v.key.id) {
            Some((_, key, _)) if about_keys => errors.add_at(*key, message),
            Some((_, _, value)) => errors.add(value, message),
            None => errors.add_at(fallback, message),
        }
    }
}

/// Reads `args` with the keys of a capability's spec: unknown and repeated
/// keys are errors (with a did-you-mean), each value is read as its key's
/// kind and handed to `set` (`None` for a value that did not read), and
/// every key of code (a path, an expression, a string) to `code`, which
/// keeps what it needs. Positional values go to `positional`.
pub(crate) fn read<'a>(
    attribute: &str,
    keys: &'static [Key],
    args: &'a [Arg],
    errors: &mut Errors,
    mut set: impl FnMut(&'static Key, Option<Value>) -> Result<Option<Violation>, WrongKind>,
    mut code: impl FnMut(&'static Key, &'a Arg) -> syn::Result<()>,
    mut positional: impl FnMut(&'a Arg, &mut Errors),
) -> Spans {
    let owner = format!("#[{attribute}]");
    let mut spans = Spans::default();
    for arg in args {
        let Some(key) = &arg.key else {
            positional(arg, errors);
            continue;
        };
        let name = arg.name();
        let k = match spec::find_key(keys, &name) {
            Ok(k) => k,
            Err(_) => {
                errors.add(key, spec::unknown_key(&owner, keys, &name, |_| true));
                continue;
            }
        };
        if spans.of(k).is_some() {
            errors.add(key, format!("`{name}` is given twice in `{owner}`"));
            continue;
        }
        let value_tokens = arg.value.as_ref().map_or_else(
            || quote::ToTokens::to_token_stream(key),
            quote::ToTokens::to_token_stream,
        );
        spans.keys.push((k, key.span(), value_tokens));
        let result = match k.kind {
            Kind::Path | Kind::Expr | Kind::Text => code(k, arg).and_then(|()| {
                let value = match k.kind {
                    Kind::Text => Value::Text {
                        blank: text(arg, k).is_ok_and(|t| t.trim().is_empty()),
                    },
                    _ => Value::Code,
                };
                // Written too, for the rules across keys (`max_keys` needs
                // `key`).
                spans.values.push((k, value));
                applied(set(k, Some(value)))
            }),
            _ => match value(arg, k) {
                Ok(v) => {
                    spans.values.push((k, v));
                    applied(set(k, Some(v)))
                }
                Err(e) => {
                    let _ = set(k, None);
                    Err(e)
                }
            },
        };
        match result {
            Ok(None) => {}
            Ok(Some(v)) => spans.violation(&v, arg.value_span(), errors),
            Err(e) => errors.push(e),
        }
    }
    spans
}

fn applied(r: Result<Option<Violation>, WrongKind>) -> syn::Result<Option<Violation>> {
    r.map_err(|e| syn::Error::new(Span::call_site(), format!("resilient-async: {e}")))
}

/// The value of `arg` read as `key`'s kind.
pub(crate) fn value(arg: &Arg, key: &Key) -> syn::Result<Value> {
    let Some(expr) = &arg.value else {
        return match key.kind {
            Kind::Choice { bare: Some(b), .. } => Ok(Value::Choice(b)),
            _ => Err(syn::Error::new(
                arg.span(),
                format!("`{0}` needs a value: `{0} = {1}`", key.name, key.example),
            )),
        };
    };
    let name = key.name;
    match key.kind {
        Kind::Count => count(expr, name).map(Value::Count),
        Kind::Duration => duration(expr, name).map(Value::Duration),
        Kind::Number => number(expr, name, key.example).map(Value::Number),
        Kind::Choice { names, .. } => choice(expr, key, names).map(Value::Choice),
        Kind::CallsOrDuration => match literal(expr) {
            Some((false, Lit::Str(_))) => duration(expr, name).map(Value::Duration),
            Some((_, Lit::Int(_))) => count(expr, name).map(Value::Count),
            _ => Err(syn::Error::new_spanned(
                expr,
                format!("`{name}` is a number of calls (`{name} = 100`) or a duration string (`{name} = \"30s\"`)"),
            )),
        },
        Kind::Path | Kind::Expr | Kind::Text => Ok(Value::Code),
    }
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

/// A whole number, zero included: how large it may be is the spec's rule.
fn count(expr: &Expr, key: &str) -> syn::Result<u64> {
    match literal(expr) {
        Some((false, Lit::Int(i))) => i.base10_parse::<u64>().map_err(|_| {
            syn::Error::new(
                i.span(),
                format!("`{key}` is too large (at most {})", u64::MAX),
            )
        }),
        Some((true, Lit::Int(_) | Lit::Float(_))) => Err(syn::Error::new_spanned(
            expr,
            format!("`{key}` must be a positive whole number, not negative"),
        )),
        _ => Err(syn::Error::new(
            expr.span(),
            format!("`{key}` must be a whole number, as in `{key} = 3`"),
        )),
    }
}

/// A number, negative or not: its range is the spec's rule.
pub(crate) fn number(expr: &Expr, key: &str, example: &str) -> syn::Result<f64> {
    let sign = |neg: bool| if neg { -1.0 } else { 1.0 };
    match literal(expr) {
        Some((neg, Lit::Float(f))) => Ok(f.base10_parse::<f64>()? * sign(neg)),
        Some((neg, Lit::Int(i))) => Ok(i.base10_parse::<u64>()? as f64 * sign(neg)),
        _ => Err(syn::Error::new(
            expr.span(),
            format!("`{key}` must be a number, as in `{key} = {example}`"),
        )),
    }
}

/// A duration for the key `key`: a string such as `"100ms"`, `"30s"`,
/// `"2m"`, `"1h 30m"`, or a number of seconds such as `2` or `0.5`. Zero is
/// the spec's rule; a negative number is no duration at all.
pub(crate) fn duration(expr: &Expr, key: &str) -> syn::Result<std::time::Duration> {
    let example = format!("`{key} = \"30s\"` or `{key} = 2.5` (seconds)");
    duration_as(expr, &format!("`{key}`"), &example)
}

/// A duration for `what` (such as "`backoff`"), with `example` in the
/// message when it is not one.
pub(crate) fn duration_as(
    expr: &Expr,
    what: &str,
    example: &str,
) -> syn::Result<std::time::Duration> {
    let error = |message: String| Err(syn::Error::new_spanned(expr, message));
    match literal(expr) {
        Some((false, Lit::Str(s))) => match spec::parse_duration(&s.value()) {
            Ok(d) => Ok(d),
            Err(e) => error(format!("{what} is not a duration: {e}")),
        },
        Some((false, Lit::Int(i))) => Ok(std::time::Duration::from_secs(i.base10_parse()?)),
        Some((neg, Lit::Float(f))) => {
            match spec::seconds(f.base10_parse::<f64>()? * if neg { -1.0 } else { 1.0 }) {
                Ok(d) => Ok(d),
                Err(m) => error(format!("{what} {m}")),
            }
        }
        Some((true, Lit::Int(_))) => error(format!("{what} must be positive, not negative")),
        _ => error(format!(
            "{what} must be a literal duration, such as {example}"
        )),
    }
}

fn choice(expr: &Expr, key: &Key, names: &[&str]) -> syn::Result<u8> {
    match literal(expr) {
        Some((false, Lit::Str(s))) => names
            .iter()
            .position(|n| *n == s.value())
            .map(|i| i as u8)
            .ok_or_else(|| syn::Error::new(s.span(), spec::unknown_choice(key, &s.value()))),
        _ => Err(syn::Error::new(
            expr.span(),
            format!(
                "`{}` must be a string, one of: {}",
                key.name,
                spec::quoted(names)
            ),
        )),
    }
}

/// `key = "text"`.
pub(crate) fn text(arg: &Arg, key: &Key) -> syn::Result<String> {
    let expr = required(arg, key)?;
    match literal(expr) {
        Some((false, Lit::Str(s))) => Ok(s.value()),
        _ => Err(syn::Error::new(
            expr.span(),
            format!(
                "`{0}` must be a string, as in `{0} = {1}`",
                key.name, key.example
            ),
        )),
    }
}

fn required<'a>(arg: &'a Arg, key: &Key) -> syn::Result<&'a Expr> {
    arg.value.as_ref().ok_or_else(|| {
        syn::Error::new(
            arg.span(),
            format!("`{0}` needs a value: `{0} = {1}`", key.name, key.example),
        )
    })
}

/// `key = path::to::function`.
pub(crate) fn path(arg: &Arg, key: &Key) -> syn::Result<Path> {
    match required(arg, key)? {
        Expr::Path(p) if p.qself.is_none() => Ok(p.path.clone()),
        other => Err(syn::Error::new_spanned(
            other,
            format!(
                "`{0}` must be a path to a function, as in `{0} = {1}`",
                key.name, key.example
            ),
        )),
    }
}

/// `key = expr`: any expression, checked by rustc where it is used.
pub(crate) fn expr(arg: &Arg, key: &Key) -> syn::Result<Expr> {
    required(arg, key).cloned()
}

/// `crate = "path"`: where the runtime is, for crates that re-export it.
pub(crate) fn crate_path(arg: &Arg, key: &Key) -> syn::Result<Path> {
    let expr = required(arg, key)?;
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

/// `Duration::new(..)` through the runtime's door: any length.
pub(crate) fn duration_tokens(rt: &TokenStream, d: std::time::Duration) -> TokenStream {
    let (secs, nanos) = (d.as_secs(), d.subsec_nanos());
    quote::quote!(#rt::Duration::new(#secs, #nanos))
}

/// `f64` as a literal token.
pub(crate) fn float(x: f64) -> TokenStream {
    quote::ToTokens::into_token_stream(proc_macro2::Literal::f64_suffixed(x))
}

/// A value read from an attribute as tokens of the spec's `Value`.
fn value_tokens(rt: &TokenStream, value: Value) -> TokenStream {
    match value {
        Value::Count(n) => quote::quote!(#rt::Value::Count(#n)),
        Value::Duration(d) => {
            let d = duration_tokens(rt, d);
            quote::quote!(#rt::Value::Duration(#d))
        }
        Value::Number(x) => {
            let x = float(x);
            quote::quote!(#rt::Value::Number(#x))
        }
        Value::Choice(i) => quote::quote!(#rt::Value::Choice(#i)),
        Value::Text { blank } => quote::quote!(#rt::Value::Text { blank: #blank }),
        Value::Code => quote::quote!(#rt::Value::Code),
    }
}
