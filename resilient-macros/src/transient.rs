//! `#[derive(Transient)]`: classification of error types by variant.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, Ident, Member, Path};

use crate::args::{self, Errors};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Transient,
    Permanent,
    Delegate,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Transient => "transient",
            Class::Permanent => "permanent",
            Class::Delegate => "delegate",
        }
    }
}

/// The classification written on an item: `#[transient]`, `#[permanent]` or
/// `#[delegate]`, with an error for more than one.
fn class_of(attrs: &[Attribute], errors: &mut Errors) -> Option<(Class, Span)> {
    let mut found: Option<(Class, Span)> = None;
    for attr in attrs {
        let class = [Class::Transient, Class::Permanent, Class::Delegate]
            .into_iter()
            .find(|c| attr.path().is_ident(c.name()));
        let Some(class) = class else { continue };
        if attr.meta.require_path_only().is_err() {
            errors.add(
                &attr.meta,
                format!("`#[{}]` takes no arguments", class.name()),
            );
        }
        match found {
            Some((first, _)) => errors.add(
                attr,
                format!(
                    "already marked `#[{}]`; an error is either transient or permanent, not both",
                    first.name()
                ),
            ),
            None => found = Some((class, attr.path().span())),
        }
    }
    found
}

fn crate_of(attrs: &[Attribute], errors: &mut Errors) -> TokenStream {
    let mut krate: Option<Path> = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("resilient")) {
        let parsed = attr
            .meta
            .require_list()
            .and_then(|l| args::parse_args(l.tokens.clone()));
        match parsed {
            Ok(list) => {
                for arg in &list {
                    match &arg.key {
                        Some(k) if k == "crate" => {
                            match args::crate_path(arg, &resilient_spec::retry::CRATE) {
                                Ok(p) => krate = Some(p),
                                Err(e) => errors.push(e),
                            }
                        }
                        _ => errors.add_at(arg.span(), "expected `#[resilient(crate = \"path\")]`"),
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }
    match krate {
        Some(p) => quote!(#p::__private),
        None => quote!(::resilient_async::__private),
    }
}

/// One variant (or the struct itself) and how it is classified.
struct Case {
    /// `Self::Variant` or `Self`.
    path: TokenStream,
    class: Class,
    /// The field read by `retry_after`, or the field delegated to.
    field: Option<(Member, syn::Type)>,
}

pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = Errors::default();
    let rt = crate_of(&input.attrs, &mut errors);
    let cases = cases(&input, &mut errors);
    if !errors.is_empty() {
        // A stand-in impl, so that one mistake here is one error, not a
        // second wave at every function returning this type.
        let errors = errors.into_compile_errors();
        let ident = &input.ident;
        let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
        return quote! {
            #errors
            #[automatically_derived]
            impl #impl_generics #rt::Transient for #ident #ty_generics #where_clause {
                fn is_transient(&self) -> bool {
                    false
                }
            }
        };
    }
    implementation(&input, &rt, &cases)
}

/// Every variant (or the struct itself) with its classification.
fn cases(input: &DeriveInput, errors: &mut Errors) -> Vec<Case> {
    let default = class_of(&input.attrs, errors);
    if let (Some((Class::Delegate, span)), Data::Enum(_)) = (default, &input.data) {
        errors.add_at(
            span,
            "`#[delegate]` goes on a variant with one field, not on the type",
        );
    }
    let mut cases = Vec::new();
    match &input.data {
        Data::Enum(data) => {
            for variant in &data.variants {
                let ident = &variant.ident;
                let Some((class, _)) = class_of(&variant.attrs, errors).or(default) else {
                    errors.add(
                        ident,
                        format!(
                            "variant `{ident}` is not classified; mark it `#[transient]` or `#[permanent]`, \
                             or give the enum a default with `#[transient]` or `#[permanent]` on it"
                        ),
                    );
                    continue;
                };
                let field = field_of(class, &variant.fields, ident, errors);
                cases.push(Case {
                    path: quote!(Self::#ident),
                    class,
                    field,
                });
            }
        }
        Data::Struct(data) => {
            let ident = &input.ident;
            match default {
                Some((class, _)) => {
                    let field = field_of(class, &data.fields, ident, errors);
                    cases.push(Case {
                        path: quote!(Self),
                        class,
                        field,
                    });
                }
                None => errors.add(
                    ident,
                    format!("mark `{ident}` `#[transient]` or `#[permanent]` to say whether it is worth retrying"),
                ),
            }
        }
        Data::Union(u) => errors.add(
            u.union_token,
            "`#[derive(Transient)]` applies to enums and structs",
        ),
    }
    cases
}

/// The `Transient` impl of classified cases.
fn implementation(input: &DeriveInput, rt: &TokenStream, cases: &[Case]) -> TokenStream {
    let mut is_transient = Vec::new();
    let mut retry_after = Vec::new();
    // A delegated field's type must be `Transient`: say so in the impl's
    // where clause (as thiserror does for `#[source]`), which also covers
    // generic fields, and point at the field when it is not.
    let mut generics = input.generics.clone();
    for Case { path, class, field } in cases {
        // Placed at the field's type, so that a type error about the field
        // points there.
        let at = field
            .as_ref()
            .map_or(Span::call_site(), |(_, ty)| ty.span());
        let binding = Ident::new("__resilient_field", Span::mixed_site().located_at(at));
        let pattern = match field {
            Some((member, _)) => quote!(#path { #member: #binding, .. }),
            None => quote!(#path { .. }),
        };
        match (class, field) {
            (Class::Delegate, Some((_, ty))) => {
                // Only for fields that mention a type parameter: a bound on
                // a concrete type can be recursive (`Box<Self>`).
                if mentions_type_param(ty, &input.generics) {
                    let bound = quote_spanned!(ty.span()=> #ty: #rt::Transient);
                    generics
                        .make_where_clause()
                        .predicates
                        .push(syn::parse_quote!(#bound));
                }
                let is = quote_spanned!(ty.span()=> #rt::Transient::is_transient(#binding));
                let after = quote_spanned!(ty.span()=> #rt::Transient::retry_after(#binding));
                is_transient.push(quote!(#pattern => #is));
                retry_after.push(quote!(#pattern => #after));
            }
            (Class::Transient, Some((_, ty))) => {
                is_transient.push(quote!(#path { .. } => true));
                let read =
                    quote_spanned!(ty.span()=> #rt::RetryAfterField::retry_after_value(#binding));
                retry_after.push(quote!(#pattern => #read));
            }
            (class, _) => {
                let value = *class == Class::Transient;
                is_transient.push(quote!(#path { .. } => #value));
            }
        }
    }
    let ident = &input.ident;
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let where_clause = &generics.where_clause;
    quote! {
        #[automatically_derived]
        impl #impl_generics #rt::Transient for #ident #ty_generics #where_clause {
            fn is_transient(&self) -> bool {
                match self {
                    #(#is_transient,)*
                }
            }
            #[allow(unreachable_patterns)]
            fn retry_after(&self) -> ::core::option::Option<#rt::Duration> {
                match self {
                    #(#retry_after,)*
                    _ => ::core::option::Option::None,
                }
            }
        }
    }
}

/// The field a case reads: its `#[retry_after]` field, or its only field
/// for `#[delegate]`.
fn field_of(
    class: Class,
    fields: &Fields,
    owner: &Ident,
    errors: &mut Errors,
) -> Option<(Member, syn::Type)> {
    let member = |i: usize, f: &syn::Field| {
        let member = match &f.ident {
            Some(name) => Member::Named(name.clone()),
            None => Member::Unnamed(i.into()),
        };
        (member, f.ty.clone())
    };
    if class == Class::Delegate {
        if fields.len() != 1 {
            errors.add(
                owner,
                format!("`#[delegate]` needs `{owner}` to have exactly one field, whose own `Transient` impl decides"),
            );
            return None;
        }
        let f = fields.iter().next().unwrap();
        return Some(member(0, f));
    }
    let mut found = None;
    for (i, f) in fields.iter().enumerate() {
        for attr in f.attrs.iter().filter(|a| a.path().is_ident("retry_after")) {
            if class == Class::Permanent {
                errors.add(
                    attr,
                    format!("`#[retry_after]` has no effect on `{owner}`, which is permanent and never retried"),
                );
            } else if found.is_some() {
                errors.add(
                    attr,
                    format!("`{owner}` has more than one `#[retry_after]` field"),
                );
            } else {
                found = Some(member(i, f));
            }
        }
    }
    found
}

fn mentions_type_param(ty: &syn::Type, generics: &syn::Generics) -> bool {
    let params: Vec<&Ident> = generics.type_params().map(|p| &p.ident).collect();
    fn walk(tokens: TokenStream, params: &[&Ident]) -> bool {
        tokens.into_iter().any(|tt| match tt {
            proc_macro2::TokenTree::Ident(i) => params.iter().any(|p| **p == i),
            proc_macro2::TokenTree::Group(g) => walk(g.stream(), params),
            _ => false,
        })
    }
    !params.is_empty() && walk(quote!(#ty), &params)
}
