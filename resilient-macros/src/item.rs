//! The annotated function: the checks on its shape, and how its arguments
//! are handed to each attempt.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{FnArg, Ident, ItemFn, Pat, PatIdent, ReturnType, Type, TypeParamBound};

use crate::args::Errors;

/// Checks that `func` is an `async fn` returning a `Result`; `attribute`
/// names the attribute for the messages.
pub(crate) fn check_shape(func: &ItemFn, attribute: &str, errors: &mut Errors) {
    let sig = &func.sig;
    if sig.asyncness.is_none() {
        errors.add(
            sig.fn_token,
            format!(
                "`#[{attribute}]` applies to an `async fn`; add `async` to `fn {}`",
                sig.ident
            ),
        );
    }
    match &sig.output {
        ReturnType::Default => errors.add(
            &sig.ident,
            format!(
                "`#[{attribute}]` needs `fn {}` to return `Result<T, E>`, so it can tell failure from success",
                sig.ident
            ),
        ),
        ReturnType::Type(_, ty) if !is_result(ty) => errors.add(
            ty,
            format!("`#[{attribute}]` needs a return type of `Result<T, E>`, so it can tell failure from success"),
        ),
        ReturnType::Type(..) => {}
    }
}

/// `Result<..>`, `io::Result<..>` or an alias whose name ends in `Result`.
fn is_result(ty: &Type) -> bool {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident.to_string().ends_with("Result")),
        Type::Group(g) => is_result(&g.elem),
        Type::Paren(p) => is_result(&p.elem),
        _ => false,
    }
}

/// The return type with every `impl Trait` replaced by `_`, so that it can
/// annotate a `let` in the body.
pub(crate) fn nameable_return(func: &ItemFn) -> TokenStream {
    struct Infer;
    impl VisitMut for Infer {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::ImplTrait(i) = ty {
                *ty = Type::Infer(syn::TypeInfer {
                    underscore_token: syn::Token![_](i.span()),
                });
            } else {
                syn::visit_mut::visit_type_mut(self, ty);
            }
        }
    }
    match &func.sig.output {
        ReturnType::Type(_, ty) => {
            let mut ty = (**ty).clone();
            Infer.visit_type_mut(&mut ty);
            quote!(#ty)
        }
        ReturnType::Default => quote!(()),
    }
}

/// The span errors about the error type should point at: `E` in
/// `Result<T, E>`, else the return type.
pub(crate) fn error_span(func: &ItemFn) -> Span {
    let ty = match &func.sig.output {
        ReturnType::Type(_, ty) => ty,
        ReturnType::Default => return func.sig.ident.span(),
    };
    if let Type::Path(p) = &**ty {
        if let Some(syn::PathArguments::AngleBracketed(args)) =
            p.path.segments.last().map(|s| &s.arguments)
        {
            let types: Vec<_> = args
                .args
                .iter()
                .filter(|a| matches!(a, syn::GenericArgument::Type(_)))
                .collect();
            if let [_, error] = types[..] {
                return error.span();
            }
        }
    }
    ty.span()
}

/// `tokens` with every span set to `span`, so that rustc's errors about
/// them point at the user's code rather than at the attribute.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let proc_macro2::TokenTree::Group(g) = &tt {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                tt = proc_macro2::TokenTree::Group(group);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}

/// Rewrites the arguments so that each attempt gets its own copy of the
/// owned ones, and returns the statements that make that copy at the top of
/// each attempt.
///
/// Input:  `async fn f(&self, id: &str, mut body: Vec<u8>, (a, b): (u8, u8))`
/// Output: `async fn f(&self, id: &str, body: Vec<u8>, __resilient_arg3: (u8, u8))`
///   with, per attempt,
///   `let mut body = fresh(&body); let (a, b) = fresh(&__resilient_arg3);`
pub(crate) fn per_attempt_arguments(
    func: &mut ItemFn,
    rt: &TokenStream,
    attribute: &str,
    errors: &mut Errors,
) -> Vec<TokenStream> {
    let mut rebinds = Vec::new();
    for (i, input) in func.sig.inputs.iter_mut().enumerate() {
        let arg = match input {
            FnArg::Receiver(r) => {
                // `self`, `mut self` and `self: Self` move the receiver into
                // the first attempt; typed receivers such as `self: &Self` or
                // `self: Pin<&mut Self>` are lent like any reference.
                let by_value = r.reference.is_none()
                    && (r.colon_token.is_none()
                        || matches!(&*r.ty, Type::Path(p) if p.qself.is_none() && p.path.is_ident("Self")));
                if by_value {
                    let why = match attribute {
                        "fallback" => "calls each alternative with the same arguments",
                        _ => "runs the body more than once",
                    };
                    errors.add(
                        r.self_token,
                        format!(
                            "`#[{attribute}]` {why}, so it cannot take `self` by value; \
                             take `&self` or `&mut self`"
                        ),
                    );
                }
                continue;
            }
            FnArg::Typed(arg) => arg,
        };
        let passing = passing(&arg.ty);
        let owned = passing == Passing::Owned;
        // An `impl Trait` argument is lent to each attempt unless it is
        // `Clone`, since most such arguments (`impl AsRef<str>`) are only read.
        let lent = match &*arg.ty {
            Type::ImplTrait(i) => !i.bounds.iter().any(is_clone_bound),
            _ => false,
        };
        let fresh = |source: &dyn quote::ToTokens| {
            if owned && !lent {
                fresh_copy(rt, &arg.ty, source)
            } else if passing == Passing::Unique {
                // Reborrow, so the next attempt can borrow it again.
                quote!(&mut *#source)
            } else {
                quote!(#source)
            }
        };
        match &mut *arg.pat {
            Pat::Ident(PatIdent {
                by_ref: None,
                mutability,
                ident,
                subpat: None,
                ..
            }) => {
                if lent || (!owned && mutability.is_none()) {
                    continue;
                }
                let value = fresh(ident);
                let mutability = mutability.take();
                rebinds.push(quote!(let #mutability #ident = #value;));
            }
            pat => {
                let name = Ident::new(&format!("__resilient_arg{i}"), Span::mixed_site());
                let value = fresh(&name);
                rebinds.push(quote!(let #pat = #value;));
                *pat = Pat::Ident(PatIdent {
                    attrs: Vec::new(),
                    by_ref: None,
                    mutability: None,
                    ident: name,
                    subpat: None,
                });
            }
        }
    }
    rebinds
}

fn is_clone_bound(bound: &TypeParamBound) -> bool {
    matches!(bound, TypeParamBound::Trait(t)
        if t.path.segments.last().is_some_and(|s| s.ident == "Clone" || s.ident == "Copy"))
}

/// The plain name each argument is bound to, after
/// [`per_attempt_arguments`] has named every pattern.
fn argument_names(func: &ItemFn) -> impl Iterator<Item = (&Ident, &Type)> {
    func.sig.inputs.iter().filter_map(|input| match input {
        FnArg::Typed(arg) => match &*arg.pat {
            Pat::Ident(p) => Some((&p.ident, &*arg.ty)),
            _ => None,
        },
        FnArg::Receiver(_) => None,
    })
}

fn receiver(func: &ItemFn) -> Option<&syn::Receiver> {
    match func.sig.inputs.first() {
        Some(FnArg::Receiver(r)) => Some(r),
        _ => None,
    }
}

/// A call of `path` with `args`, all of it placed at the path (keeping each
/// token's name resolution), so that rustc's errors about a mismatched
/// signature point at the path. In a method, a bare name is another method:
/// `Self::name`.
pub(crate) fn call(func: &ItemFn, path: &syn::Path, args: &[TokenStream]) -> TokenStream {
    let span = path.span();
    let args: Vec<TokenStream> = args.iter().map(|a| relocate(a.clone(), span)).collect();
    match (receiver(func), path.get_ident()) {
        (Some(_), Some(name)) => quote_spanned!(span=> Self::#name(#(#args),*)),
        _ => quote_spanned!(span=> #path(#(#args),*)),
    }
}

/// The arguments for a diagnoser: `first` (the error), then every argument
/// by shared reference (after the receiver, in a method).
pub(crate) fn by_reference(func: &ItemFn, first: TokenStream) -> Vec<TokenStream> {
    let mut args: Vec<TokenStream> = receiver(func).map(|_| quote!(&*self)).into_iter().collect();
    args.push(first);
    for (name, ty) in argument_names(func) {
        args.push(match passing(ty) {
            Passing::Owned => quote!(&#name),
            Passing::Shared | Passing::Unique => quote!(&*#name),
        });
    }
    args
}

/// The arguments for a fallback tier: the call's own, copied (`Clone`) or
/// reborrowed where a later tier needs them, moved into the `last`.
pub(crate) fn passed_again(func: &ItemFn, rt: &TokenStream, last: bool) -> Vec<TokenStream> {
    let mut args = Vec::new();
    if let Some(r) = receiver(func) {
        let unique = r.reference.as_ref().is_some_and(|_| r.mutability.is_some());
        args.push(if unique && !last {
            quote!(&mut *self)
        } else {
            quote!(self)
        });
    }
    for (name, ty) in argument_names(func) {
        args.push(match passing(ty) {
            Passing::Unique if !last => quote!(&mut *#name),
            Passing::Owned if !last => fresh_copy(rt, ty, name),
            _ => quote!(#name),
        });
    }
    args
}

/// `tokens` at the location of `span`, each keeping its own name
/// resolution (hygiene).
fn relocate(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let proc_macro2::TokenTree::Group(g) = &tt {
                let mut group = proc_macro2::Group::new(g.delimiter(), relocate(g.stream(), span));
                group.set_span(g.span().located_at(span));
                tt = proc_macro2::TokenTree::Group(group);
            } else {
                tt.set_span(tt.span().located_at(span));
            }
            tt
        })
        .collect()
}

/// How an argument reaches the body: borrowed, borrowed uniquely, or owned.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Passing {
    Shared,
    Unique,
    Owned,
}

fn passing(ty: &Type) -> Passing {
    match ty {
        Type::Reference(r) if r.mutability.is_some() => Passing::Unique,
        Type::Reference(_) => Passing::Shared,
        _ => Passing::Owned,
    }
}

/// A copy of an owned argument for one more run of the body or one more
/// tier, checked at the argument's type (`AttemptArg`'s message).
fn fresh_copy(rt: &TokenStream, ty: &Type, source: &dyn quote::ToTokens) -> TokenStream {
    quote_spanned!(ty.span()=> #rt::AttemptArg::fresh(&#source))
}
