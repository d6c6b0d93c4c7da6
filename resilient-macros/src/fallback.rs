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
        for arg in list {
            let key = arg.key.as_ref().map(|k| k.to_string());
            let result = match (key.as_deref(), &arg.value) {
                (Some("when"), _) => args::path(arg).map(|p| out.when = Some(p)),
                (Some("cost"), _) => {
                    cost(arg.value.as_ref(), arg.span(), "cost").map(|c| out.cost = c)
                }
                (Some("crate"), _) => args::crate_path(arg).map(|p| out.krate = Some(p)),
                // `claude` or `claude = 0.05`.
                (Some(_), value) => {
                    let path = Path::from(arg.key.clone().unwrap());
                    cost(value.as_ref(), arg.span(), "a tier's cost")
                        .map(|cost| out.alternatives.push(Alternative { path, cost }))
                }
                // `ocr::claude`, or `ocr::claude = 0.05`.
                (
                    None,
                    Some(Expr::Path(ExprPath {
                        qself: None, path, ..
                    })),
                ) => {
                    out.alternatives.push(Alternative {
                        path: path.clone(),
                        cost: 0.0,
                    });
                    Ok(())
                }
                (None, Some(Expr::Assign(ExprAssign { left, right, .. }))) => match &**left {
                    Expr::Path(ExprPath {
                        qself: None, path, ..
                    }) => cost(Some(right), right.span(), "a tier's cost").map(|cost| {
                        out.alternatives.push(Alternative {
                            path: path.clone(),
                            cost,
                        })
                    }),
                    other => Err(not_a_path(other.span())),
                },
                (None, other) => Err(not_a_path(other.as_ref().map_or(arg.span(), |e| e.span()))),
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
        if out.alternatives.is_empty() {
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

/// A cost: absent (0), or a number at least 0.
fn cost(value: Option<&Expr>, span: Span, what: &str) -> syn::Result<f64> {
    let Some(expr) = value else { return Ok(0.0) };
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
            return Err(syn::Error::new(
                span,
                format!("{what} must be a number, as in `claude = 0.05`"),
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
