//! `#[fallback(claude = 0.05, local_ocr)]`: the alternatives, what each
//! costs and how good its answers are, and which errors move on; read by
//! the keys and rules of the spec.

use proc_macro2::Span;
use resilient_spec::fallback::{self as spec, Tier};
use resilient_spec::{Key, Naming};
use syn::spanned::Spanned as _;
use syn::{Expr, ExprAssign, ExprCall, ExprPath, Path};

use crate::args::{self, Arg, Errors};

/// One alternative: the path to call, its cost and accuracy.
pub(crate) struct Alternative {
    pub(crate) path: Path,
    pub(crate) tier: Tier,
}

/// The checked arguments of one `#[fallback]`.
#[derive(Default)]
pub(crate) struct FallbackArgs {
    pub(crate) alternatives: Vec<Alternative>,
    /// The primary's own cost and accuracy.
    pub(crate) primary: Tier,
    pub(crate) when: Option<Path>,
    pub(crate) krate: Option<Path>,
}

impl FallbackArgs {
    pub(crate) fn parse(list: &[Arg], span: Span, errors: &mut Errors) -> FallbackArgs {
        let mut out = FallbackArgs::default();
        let mut options: Vec<&'static Key> = Vec::new();
        // Alternatives written, valid or not: "needs at least one" only
        // when there were none at all.
        let mut written = 0;
        for arg in list {
            let name = arg.key.as_ref().map(ToString::to_string);
            let option = name
                .as_deref()
                .and_then(|n| resilient_spec::find_key(spec::KEYS, n).ok());
            if let Some(k) = option {
                if options.iter().any(|o| o.id == k.id) {
                    errors.add_at(
                        arg.span(),
                        format!("`{}` is given twice in `#[fallback]`", k.name),
                    );
                    continue;
                }
                options.push(k);
                if let Err(e) = out.option(k, arg) {
                    errors.push(e);
                }
                continue;
            }
            written += 1;
            match alternative(arg) {
                Ok(alt) => out.alternatives.push(alt),
                Err(e) => errors.push(e),
            }
        }
        out.check(span, written, errors);
        out
    }

    /// `when = path`, `cost = 0.03`, `accuracy = 0.99`, `crate = "path"`.
    fn option(&mut self, k: &'static Key, arg: &Arg) -> syn::Result<()> {
        match k.id {
            id if id == spec::WHEN.id => self.when = Some(args::path(arg, k)?),
            id if id == spec::CRATE.id => self.krate = Some(args::crate_path(arg, k)?),
            _ => {
                let value = arg.value.as_ref().ok_or_else(|| {
                    syn::Error::new(
                        arg.span(),
                        format!(
                            "`{0}` needs a value: `{0} = {1}`, the primary's",
                            k.name, k.example
                        ),
                    )
                })?;
                let x = args::number(value, k.name, k.example)?;
                let tier = figure(k, x, Tier::default());
                if let Some(v) = spec::check_tier(&tier).first() {
                    return Err(syn::Error::new_spanned(value, v.message(Naming::Attribute)));
                }
                self.primary = figure(k, x, self.primary);
            }
        }
        Ok(())
    }

    fn check(&self, span: Span, written: usize, errors: &mut Errors) {
        let mut names: Vec<String> = Vec::new();
        for alt in &self.alternatives {
            let name = quote::ToTokens::to_token_stream(&alt.path)
                .to_string()
                .replace(' ', "");
            if names.contains(&name) {
                errors.add(
                    &alt.path,
                    format!("`{name}` is named twice in `#[fallback]`"),
                );
            }
            names.push(name);
        }
        match spec::check_alternatives(written.max(self.alternatives.len())) {
            Some(why) if written == 0 => errors.add_at(span, format!("`#[fallback]` {why}")),
            Some(why) if self.alternatives.len() >= spec::MAX_TIERS => errors.add(
                &self.alternatives[spec::MAX_TIERS - 1].path,
                format!("`#[fallback]` {why}"),
            ),
            _ => {}
        }
    }
}

/// `tier` with the figure of key `k` set to `x`.
fn figure(k: &Key, x: f64, mut tier: Tier) -> Tier {
    if k.id == spec::COST.id {
        tier.cost = Some(x);
    } else {
        tier.accuracy = Some(x);
    }
    tier
}

/// `claude`, `claude = 0.05`, `ocr::claude`, `ocr::claude = 0.05`, or
/// `claude(cost = 0.05, accuracy = 0.95)`.
fn alternative(arg: &Arg) -> syn::Result<Alternative> {
    match (&arg.key, &arg.value) {
        (Some(key), None) => Ok(Alternative {
            path: Path::from(key.clone()),
            tier: Tier::default(),
        }),
        (Some(key), Some(cost)) => {
            let name = key.to_string();
            let path = Path::from(key.clone());
            tier_cost(&name, cost)
                .map(|tier| Alternative { path, tier })
                .map_err(|e| with_did_you_mean(e, &name))
        }
        (
            None,
            Some(Expr::Path(ExprPath {
                qself: None, path, ..
            })),
        ) => Ok(Alternative {
            path: path.clone(),
            tier: Tier::default(),
        }),
        (None, Some(Expr::Assign(ExprAssign { left, right, .. }))) => match &**left {
            Expr::Path(ExprPath {
                qself: None, path, ..
            }) => {
                let name = quote::ToTokens::to_token_stream(path)
                    .to_string()
                    .replace(' ', "");
                tier_cost(&name, right).map(|tier| Alternative {
                    path: path.clone(),
                    tier,
                })
            }
            other => Err(not_a_path(other.span())),
        },
        (None, Some(Expr::Call(call))) => with_figures(call),
        (None, other) => Err(not_a_path(other.as_ref().map_or(arg.span(), |e| e.span()))),
    }
}

/// `claude(cost = 0.05, accuracy = 0.95)`.
fn with_figures(call: &ExprCall) -> syn::Result<Alternative> {
    let Expr::Path(ExprPath {
        qself: None, path, ..
    }) = &*call.func
    else {
        return Err(not_a_path(call.func.span()));
    };
    let name = quote::ToTokens::to_token_stream(path)
        .to_string()
        .replace(' ', "");
    if call.args.is_empty() {
        return Err(figures_expected(call.span(), &name));
    }
    let mut tier = Tier::default();
    for figure_expr in &call.args {
        let Expr::Assign(ExprAssign { left, right, .. }) = figure_expr else {
            return Err(figures_expected(figure_expr.span(), &name));
        };
        let key = match &**left {
            Expr::Path(p) => p
                .path
                .get_ident()
                .and_then(|i| resilient_spec::find_key(spec::KEYS, &i.to_string()).ok())
                .filter(|k| k.id == spec::COST.id || k.id == spec::ACCURACY.id),
            _ => None,
        };
        let Some(k) = key else {
            return Err(figures_expected(left.span(), &name));
        };
        let x = args::number(right, k.name, k.example)?;
        tier = figure(k, x, tier);
        if let Some(v) = spec::check_tier(&tier).first() {
            return Err(syn::Error::new_spanned(
                right,
                format!("the {} of `{name}` {}", k.name, v.reason(Naming::Attribute)),
            ));
        }
    }
    Ok(Alternative {
        path: path.clone(),
        tier,
    })
}

fn figures_expected(span: Span, name: &str) -> syn::Error {
    syn::Error::new(
        span,
        format!("`{name}(...)` takes its figures, as in `{name}(cost = 0.05, accuracy = 0.95)`"),
    )
}

fn not_a_path(span: Span) -> syn::Error {
    syn::Error::new(
        span,
        "`#[fallback]` takes paths to async functions, each with an optional cost \
         (`#[fallback(claude = 0.05, local_ocr)]`) or figures (`claude(cost = 0.05, accuracy = 0.95)`), \
         and `when = path`, `cost = 0.03`, `accuracy = 0.99`",
    )
}

/// `name = 0.05`: a tier's cost, by the spec's rule.
fn tier_cost(name: &str, expr: &Expr) -> syn::Result<Tier> {
    let what = format!("the cost of `{name}`");
    let cost = match args::literal(expr) {
        Some((neg, syn::Lit::Float(_) | syn::Lit::Int(_))) => {
            let x = args::number(expr, name, "0.05")?;
            if neg {
                -x.abs()
            } else {
                x
            }
        }
        _ => {
            return Err(syn::Error::new_spanned(
                expr,
                format!("{what} must be a number, as in `{name} = 0.05`"),
            ))
        }
    };
    let tier = Tier {
        cost: Some(cost),
        accuracy: None,
    };
    match spec::check_tier(&tier).first() {
        Some(v) => Err(syn::Error::new_spanned(
            expr,
            format!("{what} {}", v.reason(Naming::Attribute)),
        )),
        None => Ok(tier),
    }
}

/// An alternative whose "cost" is not a number may be a misspelt option.
fn with_did_you_mean(e: syn::Error, name: &str) -> syn::Error {
    match resilient_spec::did_you_mean(spec::KEYS.iter().map(|k| k.name), name) {
        Some(option) => syn::Error::new(
            e.span(),
            format!("{e}; or did you mean the option `{option}`?"),
        ),
        None => e,
    }
}
