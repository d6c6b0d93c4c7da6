//! The annotated function, parsed no further than needed: its signature,
//! and its body kept as tokens (as tokio's entry macros keep it), so that
//! rustc reports an error in the body exactly as without the attribute.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{
    braced, AttrStyle, Attribute, FnArg, GenericArgument, Ident, Pat, PatIdent, PathArguments,
    ReturnType, Signature, Token, Type, TypeParamBound, Visibility,
};

use crate::args::Errors;

/// An `async fn` (or a method `#[async_trait]` has already rewritten).
pub(crate) struct Function {
    /// Outer attributes, then the body's inner attributes lifted out.
    pub(crate) attrs: Vec<Attribute>,
    /// The body's inner attributes as written, to write the function back.
    inner_attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    /// The statements of the body, untouched.
    pub(crate) body: TokenStream,
    pub(crate) shape: Shape,
}

/// How the function returns its future.
pub(crate) enum Shape {
    /// `async fn f() -> R`.
    Async,
    /// `fn f() -> Pin<Box<dyn Future<Output = R> + ..>> { Box::pin(async move { .. }) }`:
    /// what `#[async_trait]` makes of an `async fn`.
    Boxed { output: Box<Type> },
    /// Anything else: an error for `check_shape`.
    Other,
}

impl Parse for Function {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let outer = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        let content;
        braced!(content in input);
        let inner_attrs = content.call(Attribute::parse_inner)?;
        let body: TokenStream = content.parse()?;
        // An inner attribute applies to the whole function: lift it, so
        // that it covers the generated code too (as tokio does).
        let mut attrs = outer;
        attrs.extend(inner_attrs.iter().cloned().map(|mut a| {
            a.style = AttrStyle::Outer;
            a
        }));
        let shape = shape(&sig, &body);
        Ok(Function {
            attrs,
            inner_attrs,
            vis,
            sig,
            body,
            shape,
        })
    }
}

impl Function {
    /// The function as written, attributes changed by the expansion
    /// included: what callers type-check against when the attribute fails.
    pub(crate) fn as_written(&self) -> TokenStream {
        let Function {
            vis,
            sig,
            body,
            inner_attrs,
            ..
        } = self;
        let outer = self.attrs.iter().take(self.attrs.len() - inner_attrs.len());
        quote!(#(#outer)* #vis #sig { #(#inner_attrs)* #body })
    }

    /// The type the body evaluates to: the return type, or the `Output` of
    /// an `#[async_trait]` method's boxed future.
    pub(crate) fn output(&self) -> Option<&Type> {
        match (&self.shape, &self.sig.output) {
            (Shape::Boxed { output }, _) => Some(output),
            (_, ReturnType::Type(_, ty)) => Some(ty),
            (_, ReturnType::Default) => None,
        }
    }
}

/// Recognises `#[async_trait]`'s rewrite: no `async`, a boxed future, and
/// a body that is one `Box::pin(..)` call.
fn shape(sig: &Signature, body: &TokenStream) -> Shape {
    if sig.asyncness.is_some() {
        return Shape::Async;
    }
    let ReturnType::Type(_, ty) = &sig.output else {
        return Shape::Other;
    };
    let boxed = syn::parse2::<syn::Expr>(body.clone()).is_ok_and(|e| match e {
        syn::Expr::Call(call) => matches!(&*call.func, syn::Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident == "pin")),
        _ => false,
    });
    match (boxed, future_output(ty)) {
        (true, Some(output)) => Shape::Boxed {
            output: Box::new(output),
        },
        _ => Shape::Other,
    }
}

/// `X` in `Pin<Box<dyn Future<Output = X> + ...>>`.
fn future_output(ty: &Type) -> Option<Type> {
    let generic = |ty: &Type, name: &str| match ty {
        Type::Path(p) => p.path.segments.last().and_then(|s| match &s.arguments {
            PathArguments::AngleBracketed(a) if s.ident == name => {
                a.args.iter().find_map(|a| match a {
                    GenericArgument::Type(t) => Some(t.clone()),
                    _ => None,
                })
            }
            _ => None,
        }),
        _ => None,
    };
    let Type::TraitObject(object) = generic(&generic(ty, "Pin")?, "Box")? else {
        return None;
    };
    object.bounds.iter().find_map(|b| match b {
        TypeParamBound::Trait(t) => t.path.segments.last().and_then(|s| match &s.arguments {
            PathArguments::AngleBracketed(a) if s.ident == "Future" => {
                a.args.iter().find_map(|a| match a {
                    GenericArgument::AssocType(at) if at.ident == "Output" => Some(at.ty.clone()),
                    _ => None,
                })
            }
            _ => None,
        }),
        _ => None,
    })
}

/// Checks that `func` is an `async fn` returning a `Result`; `attribute`
/// names the attribute for the messages.
pub(crate) fn check_shape(func: &Function, attribute: &str, errors: &mut Errors) {
    let sig = &func.sig;
    if let Shape::Other = func.shape {
        errors.add(
            sig.fn_token,
            format!(
                "`#[{attribute}]` applies to an `async fn`; add `async` to `fn {}`",
                sig.ident
            ),
        );
        return;
    }
    match func.output() {
        None => errors.add(
            &sig.ident,
            format!(
                "`#[{attribute}]` needs `fn {}` to return `Result<T, E>`, so it can tell failure from success",
                sig.ident
            ),
        ),
        Some(ty) if !is_result(ty) => errors.add(
            ty,
            format!("`#[{attribute}]` needs a return type of `Result<T, E>`, so it can tell failure from success"),
        ),
        Some(_) => {}
    }
    if let (Shape::Boxed { .. }, Some(FnArg::Receiver(r))) = (&func.shape, sig.inputs.first()) {
        if r.mutability.is_some() && r.reference.is_some() {
            errors.add(
                r,
                format!(
                    "`#[{attribute}]` cannot run an `#[async_trait]` method with `&mut self` again: \
                     `#[async_trait]` moves `self` into its boxed future; take `&self`, or use a native \
                     `async fn` in the trait"
                ),
            );
        }
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

/// The output type with every `impl Trait` replaced by `_`, so that it can
/// annotate a `let` in the body.
pub(crate) fn nameable_output(func: &Function) -> TokenStream {
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
    match func.output() {
        Some(ty) => {
            let mut ty = ty.clone();
            Infer.visit_type_mut(&mut ty);
            quote!(#ty)
        }
        None => quote!(()),
    }
}

/// The span errors about the error type should point at: `E` in
/// `Result<T, E>`, else the output type.
pub(crate) fn error_span(func: &Function) -> Span {
    let Some(ty) = func.output() else {
        return func.sig.ident.span();
    };
    if let Type::Path(p) = ty {
        if let Some(PathArguments::AngleBracketed(args)) =
            p.path.segments.last().map(|s| &s.arguments)
        {
            let types: Vec<_> = args
                .args
                .iter()
                .filter(|a| matches!(a, GenericArgument::Type(_)))
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
    map_spans(tokens, &|_| span)
}

/// `tokens` at the location of `span`, each keeping its own name
/// resolution (hygiene).
fn relocate(tokens: TokenStream, span: Span) -> TokenStream {
    map_spans(tokens, &|s| s.located_at(span))
}

fn map_spans(tokens: TokenStream, f: &dyn Fn(Span) -> Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let proc_macro2::TokenTree::Group(g) = &tt {
                let mut group = proc_macro2::Group::new(g.delimiter(), map_spans(g.stream(), f));
                group.set_span(f(g.span()));
                tt = proc_macro2::TokenTree::Group(group);
            } else {
                tt.set_span(f(tt.span()));
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

/// Rewrites the arguments so that each run of the body gets its own copy
/// of the owned ones, and returns the statements that make that copy at
/// the top of each run.
///
/// Input:  `async fn f(&self, id: &str, mut body: Vec<u8>, (a, b): (u8, u8))`
/// Output: `async fn f(&self, id: &str, body: Vec<u8>, __resilient_arg3: (u8, u8))`
///   with, per run,
///   `let mut body = fresh(&body); let (a, b) = fresh(&__resilient_arg3);`
pub(crate) fn per_run_arguments(
    sig: &mut Signature,
    rt: &TokenStream,
    attribute: &str,
    errors: &mut Errors,
) -> Vec<TokenStream> {
    let mut rebinds = Vec::new();
    for (i, input) in sig.inputs.iter_mut().enumerate() {
        let arg = match input {
            FnArg::Receiver(r) => {
                // `self`, `mut self` and `self: Self` move the receiver into
                // the first run; typed receivers such as `self: &Self` or
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
        // An `impl Trait` argument is lent to each run unless it is
        // `Clone`, since most such arguments (`impl AsRef<str>`) are only read.
        let lent = match &*arg.ty {
            Type::ImplTrait(i) => !i.bounds.iter().any(is_clone_bound),
            _ => false,
        };
        let fresh = |source: &dyn ToTokens| {
            if owned && !lent {
                fresh_copy(rt, &arg.ty, source)
            } else if passing == Passing::Unique {
                // Reborrow, so the next run can borrow it again.
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

/// The plain name each argument is bound to, after [`per_run_arguments`]
/// has named every pattern.
fn argument_names(sig: &Signature) -> impl Iterator<Item = (&Ident, &Type)> {
    sig.inputs.iter().filter_map(|input| match input {
        FnArg::Typed(arg) => match &*arg.pat {
            Pat::Ident(p) => Some((&p.ident, &*arg.ty)),
            _ => None,
        },
        FnArg::Receiver(_) => None,
    })
}

fn receiver(sig: &Signature) -> Option<&syn::Receiver> {
    match sig.inputs.first() {
        Some(FnArg::Receiver(r)) => Some(r),
        _ => None,
    }
}

/// A call of `path` with `args`, all of it placed at the path (keeping each
/// token's name resolution), so that rustc's errors about a mismatched
/// signature point at the path. In a method, a bare name is another method:
/// `Self::name`.
pub(crate) fn call(sig: &Signature, path: &syn::Path, args: &[TokenStream]) -> TokenStream {
    let span = path.span();
    let args: Vec<TokenStream> = args.iter().map(|a| relocate(a.clone(), span)).collect();
    match (receiver(sig), path.get_ident()) {
        (Some(_), Some(name)) => quote_spanned!(span=> Self::#name(#(#args),*)),
        _ => quote_spanned!(span=> #path(#(#args),*)),
    }
}

/// The arguments for a diagnoser: `first` (the error), then every argument
/// by shared reference (after the receiver, in a method).
pub(crate) fn by_reference(sig: &Signature, first: TokenStream) -> Vec<TokenStream> {
    let mut args: Vec<TokenStream> = receiver(sig).map(|_| quote!(&*self)).into_iter().collect();
    args.push(first);
    for (name, ty) in argument_names(sig) {
        args.push(match passing(ty) {
            Passing::Owned => quote!(&#name),
            Passing::Shared | Passing::Unique => quote!(&*#name),
        });
    }
    args
}

/// The arguments for a fallback tier: the call's own, copied (`Clone`) or
/// reborrowed where a later tier needs them, moved into the `last`.
pub(crate) fn passed_again(sig: &Signature, rt: &TokenStream, last: bool) -> Vec<TokenStream> {
    let mut args = Vec::new();
    if let Some(r) = receiver(sig) {
        let unique = r.reference.as_ref().is_some_and(|_| r.mutability.is_some());
        args.push(if unique && !last {
            quote!(&mut *self)
        } else {
            quote!(self)
        });
    }
    for (name, ty) in argument_names(sig) {
        args.push(match passing(ty) {
            Passing::Unique if !last => quote!(&mut *#name),
            Passing::Owned if !last => fresh_copy(rt, ty, name),
            _ => quote!(#name),
        });
    }
    args
}

/// A copy of an owned argument for one more run of the body or one more
/// tier, checked at the argument's type (`AttemptArg`'s message).
fn fresh_copy(rt: &TokenStream, ty: &Type, source: &dyn ToTokens) -> TokenStream {
    quote_spanned!(ty.span()=> #rt::AttemptArg::fresh(&#source))
}

/// Whether `tokens` declare `let mut <local> =` anywhere, however deep:
/// what every expansion of ours writes (a user may name a variable so, but
/// hardly declare it so).
pub(crate) fn declares(tokens: &TokenStream, local: &str) -> bool {
    let trees: Vec<proc_macro2::TokenTree> = tokens.clone().into_iter().collect();
    trees.windows(4).any(|w| match w {
        [proc_macro2::TokenTree::Ident(a), proc_macro2::TokenTree::Ident(b), proc_macro2::TokenTree::Ident(c), proc_macro2::TokenTree::Punct(d)] => {
            a == "let" && b == "mut" && c == local && d.as_char() == '='
        }
        _ => false,
    }) || trees.iter().any(|tt| match tt {
        proc_macro2::TokenTree::Group(g) => declares(&g.stream(), local),
        _ => false,
    })
}

/// `;` after the signature: a trait method without a body.
pub(crate) fn bodiless(tokens: TokenStream) -> Option<Ident> {
    struct Declared(Ident);
    impl Parse for Declared {
        fn parse(input: ParseStream) -> syn::Result<Self> {
            input.call(Attribute::parse_outer)?;
            let _: Visibility = input.parse()?;
            let sig: Signature = input.parse()?;
            input.parse::<Token![;]>()?;
            Ok(Declared(sig.ident))
        }
    }
    syn::parse2::<Declared>(tokens).ok().map(|d| d.0)
}
