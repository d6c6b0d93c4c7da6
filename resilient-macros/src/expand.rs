//! Expansion of our attributes on one function: gather them, check them,
//! and wrap the body in the canonical order
//! `fallback(self_heal(retry(circuit_breaker(timeout(body)))))`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Ident, ItemFn, Meta, Path};

use crate::args::{self, Errors};
use crate::circuit_breaker::BreakerArgs;
use crate::fallback::FallbackArgs;
use crate::heal::HealArgs;
use crate::item;
use crate::retry::RetryArgs;
use crate::timeout::TimeoutArgs;

/// The attributes this crate expands on functions.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Fallback,
    SelfHeal,
    Retry,
    CircuitBreaker,
    Timeout,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Fallback => "fallback",
            Kind::SelfHeal => "self_heal",
            Kind::Retry => "retry",
            Kind::CircuitBreaker => "circuit_breaker",
            Kind::Timeout => "timeout",
        }
    }

    /// Recognises `#[retry]`, `#[resilient_async::retry]`, `#[::resilient_async::retry]`,
    /// and, when the expanding attribute says `crate = "a::b"`, `#[b::retry]`
    /// and `#[a::b::retry]`: a proc macro cannot resolve names, so a
    /// re-export is recognised by the path the re-exporter gave.
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
        [
            Kind::Fallback,
            Kind::SelfHeal,
            Kind::Retry,
            Kind::CircuitBreaker,
            Kind::Timeout,
        ]
        .into_iter()
        .find(|k| last == k.name())
    }
}

/// Every one of our attributes found on the function, checked.
#[derive(Default)]
struct Layers {
    fallback: Option<FallbackArgs>,
    heal: Option<HealArgs>,
    retry: Option<RetryArgs>,
    breaker: Option<BreakerArgs>,
    timeout: Option<TimeoutArgs>,
    seen: Vec<Kind>,
}

impl Layers {
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
        let args = match args::parse_args(tokens) {
            Ok(args) => args,
            Err(e) => return errors.push(e),
        };
        match kind {
            Kind::Fallback => self.fallback = Some(FallbackArgs::parse(&args, span, errors)),
            Kind::SelfHeal => self.heal = HealArgs::parse(&args, span, errors),
            Kind::Retry => self.retry = Some(RetryArgs::parse(&args, errors)),
            Kind::CircuitBreaker => self.breaker = Some(BreakerArgs::parse(&args, errors)),
            Kind::Timeout => self.timeout = TimeoutArgs::parse(&args, span, errors),
        }
    }

    /// The runtime's door: `::resilient_async::__private`, or `<crate>::__private`.
    fn runtime(&self) -> TokenStream {
        match self.krate() {
            Some(path) => quote!(#path::__private),
            None => quote!(::resilient_async::__private),
        }
    }

    /// The first `crate = "..."` given.
    fn krate(&self) -> Option<&Path> {
        [
            self.fallback.as_ref().and_then(|f| f.krate.as_ref()),
            self.heal.as_ref().and_then(|h| h.krate.as_ref()),
            self.retry.as_ref().and_then(|r| r.krate.as_ref()),
            self.breaker.as_ref().and_then(|b| b.krate.as_ref()),
            self.timeout.as_ref().and_then(|t| t.krate.as_ref()),
        ]
        .into_iter()
        .flatten()
        .next()
    }
}

/// What a sibling attribute is left holding once the first of ours has
/// expanded it. It stays on the function, rather than being removed, so that
/// the user's `use resilient_async::timeout;` counts as used.
const EXPANDED: &str = "__resilient_expanded";

/// Expands `#[<kind>(args)]` on `item`.
pub(crate) fn attribute(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    if args.to_string() == EXPANDED {
        return item;
    }
    let mut func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            let message = match syn::parse2::<syn::TraitItemFn>(item.clone()) {
                Ok(f) if f.default.is_none() => format!(
                    "`#[{}]` needs the function's body; put it on the implementation of `{}`, \
                     or on a default body in the trait",
                    kind.name(),
                    f.sig.ident
                ),
                _ => format!("`#[{}]` applies to an `async fn`", kind.name()),
            };
            let error = syn::Error::new(Span::call_site(), message).to_compile_error();
            return quote!(#error #item);
        }
    };
    let mut errors = Errors::default();
    let mut layers = Layers::default();
    layers.add(kind, Span::call_site(), args, &mut errors);
    // The first of our attributes to expand expands the others too, and
    // leaves them inert, so that the order they are written in does not
    // matter.
    let krate = layers.krate().cloned();
    for attr in &mut func.attrs {
        if let Some(kind) = Kind::of(attr, krate.as_ref()) {
            let tokens = match &attr.meta {
                Meta::List(list) => list.tokens.clone(),
                _ => TokenStream::new(),
            };
            layers.add(kind, attr.path().span(), tokens, &mut errors);
            let path = attr.path().clone();
            let marker = Ident::new(EXPANDED, Span::call_site());
            attr.meta = syn::parse_quote!(#path(#marker));
        }
    }
    item::check_shape(&func, kind.name(), &mut errors);
    let rt = layers.runtime();
    let mut generated = func.clone();
    // The attributes that run the body more than once; the first of them,
    // outermost first, names the reason in messages.
    let reruns = [
        (layers.retry.is_some(), "retry"),
        (layers.heal.is_some(), "self_heal"),
        (layers.fallback.is_some(), "fallback"),
    ];
    let rebinds = match reruns.iter().find(|(on, _)| *on) {
        Some((_, why)) => item::per_attempt_arguments(&mut generated, &rt, why, &mut errors),
        None => Vec::new(),
    };
    if !errors.is_empty() {
        // The function as written, so that its callers still type-check and
        // the only errors shown are ours.
        let errors = errors.into_compile_errors();
        return quote!(#errors #func);
    }
    generate(generated, &layers, &rt, &rebinds)
}

// Input:
//   #[retry(max = 2)] #[circuit_breaker(threshold = 5)] #[timeout("1s")]
//   async fn f(x: String) -> Result<u8, E> { body }
// Output:
//   async fn f(x: String) -> Result<u8, E> {
//       let metrics = { static METRICS: Metrics = Metrics::new("f", module_path!()); &METRICS };
//       let breaker = { static BREAKER: CircuitBreaker = CircuitBreaker::new("f", <checked policy>); BREAKER.listed() };
//       let policy = { static POLICY: RetryPolicy = <checked config>; &POLICY };
//       let mut call = Retrying::new(policy, "f", Some(metrics));
//       loop {
//           let x = AttemptArg::fresh(&x);
//           let out = call.attempt(breaker_call(&*breaker, always, Some(metrics),
//               timeout(1s, "f", Some(metrics), async { body }))).await;
//           match after(&mut call, out, &ByTransient) { Done(r) => break r, Retry(d) => sleep(d).await }
//       }
//   }
// With #[self_heal], that loop runs inside a loop of heal rounds; with
// #[fallback], the result feeds a labelled block that calls each tier in
// turn; with either, observe() counts the call once around it all.
/// A hygienic local named `__resilient_<name>`: user code cannot see it,
/// whatever it is called.
fn local(name: &str) -> Ident {
    Ident::new(&format!("__resilient_{name}"), Span::mixed_site())
}

/// What every layer's code needs.
struct Context<'a> {
    func: &'a ItemFn,
    rt: &'a TokenStream,
    /// The runtime's door at the user's error type, for bounds on `E`.
    rt_at_error: TokenStream,
    err_span: Span,
    name: String,
    metrics: Ident,
    some_metrics: TokenStream,
    nameable: TokenStream,
}

fn generate(
    func: ItemFn,
    layers: &Layers,
    rt: &TokenStream,
    rebinds: &[TokenStream],
) -> TokenStream {
    let err_span = item::error_span(&func);
    // Items are not hygienic, so each static is named inside a block of its
    // own and reached through a (hygienic) local reference.
    let metrics = local("metrics");
    let cx = Context {
        func: &func,
        rt,
        rt_at_error: item::respan(TokenStream::clone(rt), err_span),
        err_span,
        name: func.sig.ident.to_string(),
        some_metrics: quote!(::core::option::Option::Some(#metrics)),
        metrics,
        nameable: item::nameable_return(&func),
    };

    let mut call = cx.body();
    if let Some(t) = &layers.timeout {
        call = cx.timeout(t, call);
    }
    let mut setup = TokenStream::new();
    if let Some(b) = &layers.breaker {
        (setup, call) = cx.breaker(b, call);
    }
    // Each layer below is a block whose value is the call's result. The
    // arguments are bound afresh by the innermost layer that runs the body
    // again: retry per attempt, else self_heal per round, else fallback for
    // the primary. With a heal round or a fallback, the call is counted
    // once, around everything; the retry loop inside counts only retries
    // and timeouts.
    let outer_counts = layers.heal.is_some() || layers.fallback.is_some();
    let Context {
        rt, metrics, name, ..
    } = &cx;
    let mut rebinds = rebinds;
    let mut body = match &layers.retry {
        None if outer_counts => quote!(#call.await),
        None => quote!(#rt::observe(#metrics, #call).await),
        Some(retry) => {
            let body = cx.retry(retry, call, rebinds, outer_counts);
            rebinds = &[];
            body
        }
    };
    if let Some(h) = &layers.heal {
        body = cx.heal(h, body, rebinds);
        rebinds = &[];
    }
    if let Some(f) = &layers.fallback {
        body = cx.fallback(f, body, rebinds);
    }
    if outer_counts {
        body = quote!(#rt::observe(#metrics, async { #body }).await);
    }

    let ItemFn {
        attrs, vis, sig, ..
    } = &func;
    quote! {
        #(#attrs)*
        #vis #sig {
            let #metrics: &'static #rt::Metrics = {
                static METRICS: #rt::Metrics = #rt::Metrics::new(#name, ::core::module_path!());
                &METRICS
            };
            #setup
            #body
        }
    }
}

impl Context<'_> {
    /// The user's block as a future.
    fn body(&self) -> TokenStream {
        let Context { func, nameable, .. } = self;
        let fake_return = local("fake_return");
        let block = &func.block;
        // The unreachable `return` tells inference the body's type, which `?`
        // and `return` in the body need (tracing-attributes does the same).
        quote! {
            async {
                #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::needless_return)]
                if false {
                    let #fake_return: #nameable = loop {};
                    return #fake_return;
                }
                #block
            }
        }
    }

    /// `#[timeout]` around `call`.
    fn timeout(&self, t: &TimeoutArgs, call: TokenStream) -> TokenStream {
        let Context {
            rt,
            rt_at_error,
            err_span,
            name,
            some_metrics,
            ..
        } = self;
        let err_span = *err_span;
        let nanos = t.limit.value.as_nanos() as u64;
        let convert = quote_spanned!(err_span=> #rt_at_error::timed_out());
        quote! {
            #rt::timeout(#rt::Duration::from_nanos(#nanos), #name, #some_metrics, #convert, #call)
        }
    }

    /// `#[circuit_breaker]` around `call`: the statements that find the
    /// breaker, and the guarded call.
    fn breaker(&self, b: &BreakerArgs, call: TokenStream) -> (TokenStream, TokenStream) {
        let Context {
            rt,
            rt_at_error,
            err_span,
            name,
            some_metrics,
            ..
        } = self;
        let err_span = *err_span;
        let handle = local("breaker");
        let policy = b.config(rt);
        let breaker_name = b.breaker_name(name);
        let policy = quote! {
            match #policy.build() {
                ::core::result::Result::Ok(#handle) => #handle,
                ::core::result::Result::Err(_) => ::core::panic!("invalid #[circuit_breaker] policy"),
            }
        };
        let setup = match (&b.key, &b.name) {
            (Some(key), _) => {
                let max_keys = b.max_keys();
                let rt_at_key = item::respan(TokenStream::clone(rt), key.span());
                // The static is named so that no key expression can mean
                // it (items are not hygienic); the call is spanned at the
                // key, where rustc reports a missing `Hash`.
                let get = quote_spanned!(key.span()=> #rt_at_key::keyed_breaker(&__RESILIENT_BREAKERS, &(#key)));
                quote! {
                    let #handle = {
                        static __RESILIENT_BREAKERS: #rt::KeyedBreakers =
                            #rt::KeyedBreakers::new(#breaker_name, #policy, #max_keys);
                        #get
                    };
                }
            }
            (None, Some(_)) => quote! {
                let #handle: &'static #rt::CircuitBreaker = {
                    static BREAKER: #rt::SharedBreaker = #rt::SharedBreaker::new(#breaker_name, #policy);
                    BREAKER.get()
                };
            },
            (None, None) => quote! {
                let #handle: &'static #rt::CircuitBreaker = {
                    static BREAKER: #rt::CircuitBreaker = #rt::CircuitBreaker::new(#breaker_name, #policy);
                    BREAKER.listed()
                };
            },
        };
        let record = match &b.record_if {
            Some(path) => {
                let rt = item::respan(TokenStream::clone(rt), path.span());
                quote_spanned!(path.span()=> #rt::record_if(#path))
            }
            // Every error counts against the breaker.
            None => quote!(#rt::fallback::always),
        };
        let reject = quote_spanned!(err_span=> #rt_at_error::rejection());
        let call = quote! {
            #rt::breaker_call(&*#handle, #record, #some_metrics, #reject, #call)
        };
        (setup, call)
    }

    /// `#[retry]`'s loop around `call`, binding `rebinds` per attempt.
    fn retry(
        &self,
        retry: &RetryArgs,
        call: TokenStream,
        rebinds: &[TokenStream],
        outer_counts: bool,
    ) -> TokenStream {
        let Context {
            rt,
            rt_at_error,
            err_span,
            name,
            some_metrics,
            ..
        } = self;
        let err_span = *err_span;
        let result = local("result");
        let delay = local("delay");
        let policy = local("policy");
        let state = local("call");
        let out = local("out");
        let config = retry.config(rt);
        let without_outcomes = if outer_counts {
            quote!(.without_outcomes())
        } else {
            quote!()
        };
        let attempt = if retry.is_timed() {
            let convert = quote_spanned!(err_span=> #rt_at_error::timed_out());
            quote!(#rt::attempt_timed(&mut #state, #convert, #call))
        } else {
            quote!(#state.attempt(#call))
        };
        let classify = match &retry.retry_if {
            Some(path) => {
                let rt = item::respan(TokenStream::clone(rt), path.span());
                quote_spanned!(path.span()=> &#rt::retry_if(#path))
            }
            None => quote_spanned!(err_span=> &#rt_at_error::ByTransient),
        };
        // Rustc reports an unmet bound on `E` at the argument it was
        // inferred from: place that argument at the user's error type.
        let out_at_error = Ident::new("__resilient_out", Span::mixed_site().located_at(err_span));
        let decide =
            quote_spanned!(err_span=> #rt_at_error::after(&mut #state, #out_at_error, #classify));
        // A named policy is read on each call, so that a reloaded file
        // applies to the next call; otherwise the policy is a constant.
        let policy_value = match &retry.policy {
            Some(named) => {
                let named = &named.value;
                quote!(&#rt::policy::retry_policy(#named))
            }
            None => quote! {{
                static POLICY: #rt::RetryPolicy = match #config.build() {
                    ::core::result::Result::Ok(#policy) => #policy,
                    ::core::result::Result::Err(_) => ::core::panic!("invalid #[retry] policy"),
                };
                &POLICY
            }},
        };
        quote! {{
            let #policy: &#rt::RetryPolicy = #policy_value;
            let mut #state = #rt::Retrying::new(#policy, #name, #some_metrics) #without_outcomes;
            loop {
                #(#rebinds)*
                let #out = #attempt.await;
                match #decide {
                    #rt::Step::Done(#result) => break #result,
                    #rt::Step::Retry(#delay) => #rt::sleep(#delay).await,
                }
            }
        }}
    }

    /// `#[self_heal]`'s rounds around `body`, binding `rebinds` per round.
    fn heal(&self, h: &HealArgs, body: TokenStream, rebinds: &[TokenStream]) -> TokenStream {
        let Context {
            func,
            rt,
            rt_at_error,
            err_span,
            name,
            ..
        } = self;
        let err_span = *err_span;
        let delay = local("delay");
        let healer = local("healer");
        let round = local("round");
        let seen = local("seen");
        let out = local("out");
        let value = local("value");
        let error = local("error");
        let max = h.max;
        let backoff = args::Setters::new(rt).duration_tokens(h.backoff);
        let diagnoser = &h.diagnoser;
        let call = item::call(func, diagnoser, &item::by_reference(func, quote!(&#error)));
        let rt_at_diagnoser = item::respan(TokenStream::clone(rt), diagnoser.span());
        let diagnose = quote_spanned!(diagnoser.span()=> #rt_at_diagnoser::diagnosis(#call));
        // The error as logged, at `E`, where a missing `Display` is
        // reported; the heal at the diagnoser, where a wrong diagnoser's
        // error already is.
        let error_at_e = Ident::new("__resilient_error", Span::mixed_site().located_at(err_span));
        let logged = quote_spanned!(err_span=> #rt_at_error::loggable(&#error_at_e));
        let heal = quote_spanned!(diagnoser.span()=>
            #healer.heal(#seen, #round, #max, #backoff, #logged, #diagnose).await
        );

        quote! {{
            let #healer: &'static #rt::Healer = {
                static HEALER: #rt::Healer = #rt::Healer::new(#name);
                &HEALER
            };
            let mut #round: u32 = 0;
            loop {
                let #seen = #healer.generation();
                let #out = { #(#rebinds)* #body };
                match #out {
                    ::core::result::Result::Ok(#value) => {
                        #healer.succeeded(#round > 0);
                        break ::core::result::Result::Ok(#value);
                    }
                    ::core::result::Result::Err(#error) => {
                        let #delay =
                            #heal;
                        match #delay {
                            ::core::option::Option::Some(#delay) => {
                                #round += 1;
                                #rt::sleep(#delay).await;
                            }
                            ::core::option::Option::None => break ::core::result::Result::Err(#error),
                        }
                    }
                }
            }
        }}
    }

    /// `#[fallback]`'s tiers after `body`, the primary, which binds
    /// `rebinds` first.
    fn fallback(
        &self,
        f: &FallbackArgs,
        body: TokenStream,
        rebinds: &[TokenStream],
    ) -> TokenStream {
        let Context {
            func,
            rt,
            rt_at_error,
            err_span,
            name,
            nameable,
            ..
        } = self;
        let err_span = *err_span;
        let tiers = local("tiers");
        let out = local("out");
        let label = syn::Lifetime::new("'__resilient_fallback", Span::mixed_site());
        let when = match &f.when {
            Some(path) => {
                let rt = item::respan(TokenStream::clone(rt), path.span());
                quote_spanned!(path.span()=> #rt::fallback_when(#path))
            }
            None => quote!(#rt::fallback::always),
        };
        let cost = |c: f64| proc_macro2::Literal::f64_suffixed(c);
        let primary_cost = cost(f.cost);
        let mut entries = vec![quote!(#rt::fallback::Tier::new(#name, #primary_cost))];
        let mut tiers_code = Vec::new();
        let last = f.alternatives.len();
        for (i, alt) in f.alternatives.iter().enumerate() {
            let tier_name = alt
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            let c = cost(alt.cost);
            entries.push(quote!(#rt::fallback::Tier::new(#tier_name, #c)));
            let call = item::call(
                func,
                &alt.path,
                &item::passed_again(func, rt, i + 1 == last),
            );
            let span = alt.path.span();
            let rt_at_tier = item::respan(TokenStream::clone(rt), span);
            // The whole expression at the alternative's name, so that a
            // mismatched output is reported there too.
            let call = quote_spanned!(span=> #rt_at_tier::tier(#call).await);
            let settle = quote_spanned!(err_span=> #rt_at_error::fallback_settle(#tiers, #i + 1, &#out, #when));
            tiers_code.push(if i + 1 == last {
                quote! {
                    let #out: #nameable = #call;
                    #settle;
                    #out
                }
            } else {
                quote! {
                    let #out: #nameable = #call;
                    if !#settle {
                        break #label #out;
                    }
                }
            });
        }
        let settle_primary =
            quote_spanned!(err_span=> #rt_at_error::fallback_settle(#tiers, 0, &#out, #when));
        quote! {{
            let #tiers: &'static #rt::fallback::Tiers = {
                static TIERS: #rt::fallback::Tiers =
                    #rt::fallback::Tiers::new(#name, &[#(#entries),*]);
                &TIERS
            };
            #label: {
                let #out: #nameable = { #(#rebinds)* #body };
                if !#settle_primary {
                    break #label #out;
                }
                #(#tiers_code)*
            }
        }}
    }
}
