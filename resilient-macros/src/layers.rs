//! Our attributes on one function: the first to expand gathers its
//! siblings, checks them together, and leaves them inert, so that the order
//! they are written in does not matter.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{Attribute, Ident, Meta, Path};

use crate::args::{self, Errors};
use crate::circuit_breaker::BreakerArgs;
use crate::fallback::FallbackArgs;
use crate::heal::HealArgs;
use crate::item::{self, Function};
use crate::retry::RetryArgs;
use crate::timeout::TimeoutArgs;

/// The attributes this crate expands on functions, outermost first.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Fallback,
    SelfHeal,
    Retry,
    CircuitBreaker,
    Timeout,
}

const KINDS: [Kind; 5] = [
    Kind::Fallback,
    Kind::SelfHeal,
    Kind::Retry,
    Kind::CircuitBreaker,
    Kind::Timeout,
];

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Fallback => "fallback",
            Kind::SelfHeal => "self_heal",
            Kind::Retry => "retry",
            Kind::CircuitBreaker => "circuit_breaker",
            Kind::Timeout => "timeout",
        }
    }

    /// Recognises `#[retry]`, `#[resilient_async::retry]`,
    /// `#[::resilient_async::retry]`, and, when the expanding attribute
    /// says `crate = "a::b"`, `#[b::retry]` and `#[a::b::retry]`: a proc
    /// macro cannot resolve names, so a re-export is recognised by the path
    /// the re-exporter gave.
    fn of(attr: &Attribute, krate: Option<&Path>) -> Option<Kind> {
        let path = attr.path();
        let mut names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let last = names.pop()?;
        let prefix = names;
        let prefix_ok = match &prefix[..] {
            [] => path.leading_colon.is_none(),
            [only] if only == "resilient_async" => true,
            _ => krate.is_some_and(|k| {
                let k: Vec<String> = k.segments.iter().map(|s| s.ident.to_string()).collect();
                k.ends_with(&prefix)
            }),
        };
        if !prefix_ok {
            return None;
        }
        KINDS.into_iter().find(|k| last == k.name())
    }
}

/// What a sibling attribute is left holding once the first of ours has
/// expanded it. It stays on the function, rather than being removed, so that
/// the user's `use resilient_async::timeout;` counts as used.
pub(crate) const EXPANDED: &str = "__resilient_expanded";

/// A local every expansion of ours declares: a function whose body holds it
/// has been expanded by one of our attributes already.
pub(crate) const CALL: &str = "__resilient_call";

/// Every one of our attributes found on the function, checked.
#[derive(Default)]
pub(crate) struct Layers {
    pub(crate) fallback: Option<FallbackArgs>,
    pub(crate) heal: Option<HealArgs>,
    pub(crate) retry: Option<RetryArgs>,
    pub(crate) breaker: Option<BreakerArgs>,
    pub(crate) timeout: Option<TimeoutArgs>,
    seen: Vec<Kind>,
    /// Each `crate = "..."` given, and where.
    crates: Vec<(Path, Span)>,
}

impl Layers {
    /// The layers on `func`, starting with the expanding attribute
    /// `kind(args)`; the siblings it recognises are left inert on `func`.
    pub(crate) fn gather(
        kind: Kind,
        args: TokenStream,
        func: &mut Function,
        errors: &mut Errors,
    ) -> Layers {
        let mut layers = Layers::default();
        layers.add(kind, Span::call_site(), args, errors);
        let krate = layers.crates.first().map(|(p, _)| p.clone());
        for attr in &mut func.attrs {
            if let Some(kind) = Kind::of(attr, krate.as_ref()) {
                let tokens = match &attr.meta {
                    Meta::List(list) => list.tokens.clone(),
                    _ => TokenStream::new(),
                };
                layers.add(kind, attr.path().span(), tokens, errors);
                let path = attr.path().clone();
                let marker = Ident::new(EXPANDED, Span::call_site());
                attr.meta = syn::parse_quote!(#path(#marker));
            }
        }
        if item::declares(&func.body, CALL) {
            let name = kind.name();
            errors.add_at(
                Span::call_site(),
                format!(
                    "`#[{name}]` comes after another `resilient_async` attribute that has already expanded \
                     this function without recognising it, so it would wrap the whole call instead of \
                     composing in the canonical order; this happens when it is imported under another \
                     name or path (`use resilient_async::{name} as ...;`): write it as `#[{name}(...)]` \
                     or `#[resilient_async::{name}(...)]`, or put it above the others"
                ),
            );
        }
        layers
    }

    fn add(&mut self, kind: Kind, span: Span, tokens: TokenStream, errors: &mut Errors) {
        if self.seen.contains(&kind) {
            errors.add_at(
                span,
                format!(
                    "`#[{0}]` is given twice on this function; merge the arguments into one `#[{0}(...)]`",
                    kind.name()
                ),
            );
            return;
        }
        self.seen.push(kind);
        let list = match args::parse_args(tokens) {
            Ok(list) => list,
            Err(e) => return errors.push(e),
        };
        let krate = match kind {
            Kind::Fallback => {
                let f = FallbackArgs::parse(&list, span, errors);
                let k = f.krate.clone();
                self.fallback = Some(f);
                k
            }
            Kind::SelfHeal => {
                self.heal = HealArgs::parse(&list, span, errors);
                self.heal.as_ref().and_then(|h| h.krate.clone())
            }
            Kind::Retry => {
                let r = RetryArgs::parse(&list, span, errors);
                let k = r.krate.clone();
                self.retry = Some(r);
                k
            }
            Kind::CircuitBreaker => {
                let b = BreakerArgs::parse(&list, span, errors);
                let k = b.krate.clone();
                self.breaker = Some(b);
                k
            }
            Kind::Timeout => {
                self.timeout = TimeoutArgs::parse(&list, span, errors);
                self.timeout.as_ref().and_then(|t| t.krate.clone())
            }
        };
        if let Some(path) = krate {
            let at = list
                .iter()
                .find(|a| a.key.as_ref().is_some_and(|k| k == "crate"))
                .map_or(span, args::Arg::value_span);
            let text = |p: &Path| quote!(#p).to_string();
            if let Some((first, _)) = self.crates.first() {
                if text(first) != text(&path) {
                    errors.add_at(
                        at,
                        format!(
                            "`crate = \"{}\"` differs from `crate = \"{}\"` on another attribute of this function; \
                             give one path to the runtime",
                            text(&path).replace(' ', ""),
                            text(first).replace(' ', "")
                        ),
                    );
                }
            }
            self.crates.push((path, at));
        }
    }

    /// The runtime's door: `::resilient_async::__private`, or
    /// `<crate>::__private`.
    pub(crate) fn runtime(&self) -> TokenStream {
        match self.crates.first() {
            Some((path, _)) => quote!(#path::__private),
            None => quote!(::resilient_async::__private),
        }
    }

    /// Whether a layer runs the body more than once, and which, outermost
    /// first, for the messages.
    pub(crate) fn reruns(&self) -> Option<&'static str> {
        [
            (self.retry.is_some(), "retry"),
            (self.heal.is_some(), "self_heal"),
            (self.fallback.is_some(), "fallback"),
        ]
        .into_iter()
        .find_map(|(on, why)| on.then_some(why))
    }
}
