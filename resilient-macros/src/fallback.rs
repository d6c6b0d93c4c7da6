//! `#[fallback(claude = 0.05, local_ocr)]`: the alternatives, their costs,
//! and which errors move on.

use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprAssign, ExprLit, ExprPath, Lit, Path};

use crate::args::{self, Arg, Errors};

/// The most tiers, the primary included (the runtime's `MAX_TIERS`).
const MAX_TIERS: usize = 8;
const OPTIONS: [&str; 3] = ["when", "cost", "crate"];

/// One alternative: the path to call, and its cost per call served.
pub(crate) struct Alternative {
    pub(crate) path: Path,
    pub(crate) cost: f64,
}

/// The checked arguments of one `#[fallback]`.
#[derive(Default)]
pub(crate) struct FallbackArgs {
    pub(crate) alternatives: Vec<Alternative>,
    /// The primary's own cost per call served.
    pub(crate) cost: f64,
    pub(crate) when: Option<Path>,
    pub(crate) krate: Option<Path>,
}

impl FallbackArgs {
    pub(crate) fn parse(list: &[Arg], span: Span, errors: &mut Errors) -> FallbackArgs {
        let mut out = FallbackArgs::default();
        let mut seen: Vec<String> = Vec::new();
        // Alternatives written, valid or not: "needs at least one" only
        // when there were none at all.
        let mut written = 0;
        for arg in list {
            let key = arg.key.as_ref().map(|k| k.to_string());
            let result = match (key.as_deref(), &arg.value) {
                (Some("when"), _) => args::path(arg, "is_outage").map(|p| out.when = Some(p)),
                (Some("cost"), None) => Err(syn::Error::new(
                    arg.span(),
                    "`cost` needs a value: `cost = 0.03`, the primary's cost per call served",
                )),
                (Some("cost"), Some(v)) => cost(v, "`cost`", "cost = 0.03").map(|c| out.cost = c),
                (Some("crate"), _) => args::crate_path(arg).map(|p| out.krate = Some(p)),
                // `claude` or `claude = 0.05`.
                (Some(name), value) => {
                    written += 1;
                    let path = Path::from(arg.key.clone().unwrap());
                    let cost = match value {
                        None => Ok(0.0),
                        Some(v) => cost(
                            v,
                            &format!("the cost of `{name}`"),
                            &format!("{name} = 0.05"),
                        )
                        .map_err(|e| with_did_you_mean(e, name)),
                    };
                    cost.map(|cost| out.alternatives.push(Alternative { path, cost }))
                }
                // `ocr::claude`, or `ocr::claude = 0.05`.
                (
                    None,
                    Some(Expr::Path(ExprPath {
                        qself: None, path, ..
                    })),
                ) => {
                    written += 1;
                    out.alternatives.push(Alternative {
                        path: path.clone(),
                        cost: 0.0,
                    });
                    Ok(())
                }
                (None, Some(Expr::Assign(ExprAssign { left, right, .. }))) => {
                    written += 1;
                    match &**left {
                        Expr::Path(ExprPath {
                            qself: None, path, ..
                        }) => {
                            let name = quote::ToTokens::to_token_stream(path)
                                .to_string()
                                .replace(' ', "");
                            cost(
                                right,
                                &format!("the cost of `{name}`"),
                                &format!("{name} = 0.05"),
                            )
                            .map(|cost| {
                                out.alternatives.push(Alternative {
                                    path: path.clone(),
                                    cost,
                                })
                            })
                        }
                        other => Err(not_a_path(other.span())),
                    }
                }
                (None, other) => {
                    written += 1;
                    Err(not_a_path(other.as_ref().map_or(arg.span(), |e| e.span())))
                }
            };
            if let Err(e) = result {
                errors.push(e);
            }
            if let Some(key) = &key {
                if OPTIONS.contains(&key.as_str()) {
                    if seen.contains(key) {
                        errors.add_at(
                            arg.span(),
                            format!("`{key}` is given twice in `#[fallback]`"),
                        );
                    }
                    seen.push(key.clone());
                }
            }
        }
        let mut names: Vec<String> = Vec::new();
        for alt in &out.alternatives {
            let name = quote::ToTokens::to_token_stream(&alt.path).to_string();
            if names.contains(&name) {
                errors.add(
                    &alt.path,
                    format!("`{name}` is named twice in `#[fallback]`"),
                );
            }
            names.push(name);
        }
        if written == 0 {
            errors.add_at(
                span,
                "`#[fallback]` needs at least one alternative to call when this function fails, \
                 as in `#[fallback(claude, local_ocr)]`",
            );
        }
        if out.alternatives.len() >= MAX_TIERS {
            errors.add(
                &out.alternatives[MAX_TIERS - 1].path,
                format!("`#[fallback]` takes at most {} alternatives", MAX_TIERS - 1),
            );
        }
        out
    }
}

fn not_a_path(span: Span) -> syn::Error {
    syn::Error::new(
        span,
        "`#[fallback]` takes paths to async functions, each with an optional cost \
         (`#[fallback(claude = 0.05, local_ocr)]`), and `when = path`, `cost = 0.03`",
    )
}

/// A cost: a finite number, at least 0. `what` names it in messages and
/// `example` shows one.
fn cost(expr: &Expr, what: &str, example: &str) -> syn::Result<f64> {
    let n = match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) => f.base10_parse::<f64>()?,
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse::<u64>()? as f64,
        Expr::Unary(_) => {
            return Err(syn::Error::new_spanned(
                expr,
                format!("{what} must not be negative"),
            ))
        }
        _ => {
            return Err(syn::Error::new_spanned(
                expr,
                format!("{what} must be a number, as in `{example}`"),
            ))
        }
    };
    if !n.is_finite() {
        return Err(syn::Error::new_spanned(
            expr,
            format!("{what} must be a finite number"),
        ));
    }
    Ok(n)
}

/// An alternative whose "cost" is not a number may be a misspelt option.
fn with_did_you_mean(e: syn::Error, name: &str) -> syn::Error {
    match OPTIONS
        .iter()
        .find(|o| strsim::damerau_levenshtein(o, name) <= 2)
    {
        Some(option) => syn::Error::new(
            e.span(),
            format!("{e}; or did you mean the option `{option}`?"),
        ),
        None => e,
    }
}
