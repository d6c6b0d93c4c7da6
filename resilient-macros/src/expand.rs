//! The expansion of our attributes on one function: the body wrapped in
//! the canonical order `fallback(self_heal(retry(circuit_breaker(timeout(body)))))`.
//! The generated code only loops and awaits: each layer's engine in the
//! runtime is told an outcome and answers a `Step`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Signature};

use crate::args::{self, Errors};
use crate::circuit_breaker::BreakerArgs;
use crate::fallback::FallbackArgs;
use crate::heal::HealArgs;
use crate::item::{self, Function, Shape};
use crate::layers::{Kind, Layers, CALL, EXPANDED};
use crate::retry::RetryArgs;
use crate::timeout::TimeoutArgs;

/// Expands `#[<kind>(args)]` on `item`.
pub(crate) fn attribute(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    if args.to_string() == EXPANDED {
        return item;
    }
    let mut func: Function = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            let message = match item::bodiless(item.clone()) {
                Some(name) => format!(
                    "`#[{}]` needs the function's body; put it on the implementation of `{name}`, \
                     or on a default body in the trait",
                    kind.name()
                ),
                None => format!("`#[{}]` applies to an `async fn`", kind.name()),
            };
            let error = syn::Error::new(Span::call_site(), message).to_compile_error();
            return quote!(#error #item);
        }
    };
    let mut errors = Errors::default();
    let layers = Layers::gather(kind, args, &mut func, &mut errors);
    item::check_shape(&func, kind.name(), &mut errors);
    let rt = layers.runtime();
    let mut sig = func.sig.clone();
    let rebinds = match layers.reruns() {
        Some(why) => item::per_run_arguments(&mut sig, &rt, why, &mut errors),
        None => Vec::new(),
    };
    if !errors.is_empty() {
        // The function as written (its siblings left inert), so that its
        // callers still type-check and the only errors shown are ours.
        let errors = errors.into_compile_errors();
        let func = func.as_written();
        return quote!(#errors #func);
    }
    Expansion::new(&func, &sig, &rt).generate(&layers, &rebinds)
}

/// A hygienic local named `__resilient_<name>`: user code cannot see it,
/// whatever it is called.
fn local(name: &str) -> Ident {
    Ident::new(&format!("__resilient_{name}"), Span::mixed_site())
}

/// `let mut slot = pin!(None)`: an empty timer slot for one attempt's time
/// limit, declared in the block that awaits the attempt.
fn timer_slot(rt: &TokenStream, slot: &Ident) -> TokenStream {
    quote!(let mut #slot = ::core::pin::pin!(#rt::timer_slot());)
}

/// A hygienic local placed at `span`, where rustc reports an unmet bound
/// on the value it holds.
fn local_at(name: &str, span: Span) -> Ident {
    Ident::new(
        &format!("__resilient_{name}"),
        Span::mixed_site().located_at(span),
    )
}

/// What every layer's code needs.
struct Expansion<'a> {
    func: &'a Function,
    sig: &'a Signature,
    rt: &'a TokenStream,
    /// The runtime's door at the user's error type, for bounds on `E`.
    rt_at_error: TokenStream,
    err_span: Span,
    name: String,
    metrics: Ident,
    call: Ident,
    /// How the engines display `E`, checked once (see `preamble`).
    show: Ident,
    nameable: TokenStream,
}

impl<'a> Expansion<'a> {
    fn new(func: &'a Function, sig: &'a Signature, rt: &'a TokenStream) -> Self {
        let err_span = item::error_span(func);
        Expansion {
            func,
            sig,
            rt,
            rt_at_error: item::respan(TokenStream::clone(rt), err_span),
            err_span,
            name: func.sig.ident.to_string(),
            metrics: local("metrics"),
            call: Ident::new(CALL, Span::mixed_site()),
            show: local("show"),
            nameable: item::nameable_output(func),
        }
    }

    // Input:
    //   #[retry(max = 2)] #[circuit_breaker(threshold = 5)] #[timeout("1s")]
    //   async fn f(x: String) -> Result<u8, E> { body }
    // Output:
    //   async fn f(x: String) -> Result<u8, E> {
    //       let metrics = { static METRICS: Metrics = ..; submit!(..); &METRICS };
    //       let breaker = { static BREAKER: CircuitBreaker = ..; submit!(..); &BREAKER };
    //       let mut call = Call::new(metrics);
    //       let result = {
    //           let mut retry = Retrying::new(&POLICY, &mut call);
    //           loop {
    //               let x = fresh(&x);
    //               let out = {
    //                   let mut timer = pin!(timer_slot());
    //                   retry.untimed(&mut call, breaker_call(breaker, ..,
    //                       timeout_in(timer.as_mut(), 1s, metrics, .., async { body }))).await
    //               };
    //               match after(&mut retry, &mut call, out, &ByTransient) {
    //                   Step::Done(r) => break r,
    //                   Step::Retry(d) => sleep(d).await,
    //               }
    //           }
    //       };
    //       call.finish(&result);
    //       result
    //   }
    // With #[self_heal], that block runs inside a loop of heal rounds; with
    // #[fallback], its result feeds a labelled block that calls each tier.
    fn generate(&self, layers: &Layers, rebinds: &[TokenStream]) -> TokenStream {
        let Expansion {
            rt,
            metrics,
            call,
            name,
            ..
        } = self;
        let mut future = self.body();
        // Statements before each attempt's await, in the same block.
        let mut before_attempt = TokenStream::new();
        if let Some(t) = &layers.timeout {
            // Run more than once, the time limit keeps its timer in a slot
            // beside the attempt's future rather than in it: that future is
            // built and moved on every attempt, and the slot overlaps the
            // backoff's timer in the call's state.
            let slot = layers.reruns().map(|_| {
                let slot = local("timer");
                before_attempt.extend(timer_slot(rt, &slot));
                slot
            });
            future = self.timeout(t, slot.as_ref(), future);
        }
        let mut setup = TokenStream::new();
        // `retry_on`'s check, made once: the retry and the breaker both ask it.
        // The closure calls the path against the function's `T`, so that
        // a wrong signature is one error, at the path.
        let check = layers.retry.as_ref().and_then(|r| r.retry_on.as_ref()).map(|path| {
            // The argument at the path: a wrong parameter type is reported there.
            let (check, value) = (local("check"), local_at("value", path.span()));
            let nameable = &self.nameable;
            let rt_at_path = item::respan(TokenStream::clone(rt), path.span());
            let verdict = quote_spanned!(path.span()=> #rt_at_path::ResultVerdict::verdict(#path(#value)));
            setup.extend(quote! {
                let #check = #rt::result_check(
                    ::core::marker::PhantomData::<fn() -> #nameable>,
                    |#value| #verdict,
                );
            });
            check
        });
        if let Some(b) = &layers.breaker {
            let (breaker, guarded) = self.breaker(b, future, check.as_ref());
            setup.extend(breaker);
            future = guarded;
        }
        // Each layer below is a block whose value is the call's result. The
        // arguments are bound afresh by the innermost layer that runs the
        // body again: retry per attempt, else self_heal per round, else
        // fallback for the primary.
        let mut rebinds = rebinds;
        let mut value = match &layers.retry {
            Some(retry) => {
                let value = self.retry(retry, future, before_attempt, rebinds, check.as_ref());
                rebinds = &[];
                value
            }
            // Run again by a heal round or a tier: each run in the call's
            // attempt, for its number and key.
            None if layers.reruns().is_some() => {
                quote!({ #before_attempt #call.scope(#future).await })
            }
            // Run once: no attempt to tell of, and no swap on each poll
            // (the runtime may give it the call's span).
            None => quote!(#rt::once!(#call, #future).await),
        };
        if let Some(h) = &layers.heal {
            value = self.heal(h, value, rebinds);
            rebinds = &[];
        }
        if let Some(f) = &layers.fallback {
            value = self.fallback(f, value, rebinds);
        }
        let listed = self.listed(quote!(Metrics(&METRICS)));
        let result = local("result");
        // The layers that log an error need `E: Display`: checked once, at
        // `E`, so that a missing impl is one error.
        let show = match layers.reruns() {
            Some(_) => {
                let Expansion {
                    rt_at_error,
                    err_span,
                    show,
                    ..
                } = self;
                quote_spanned!(*err_span=> let #show = #rt_at_error::show();)
            }
            None => TokenStream::new(),
        };
        // With a `Display` error, the figures keep the last one.
        let finish = if show.is_empty() {
            quote!(#call.finish(&#result);)
        } else {
            let show = &self.show;
            quote!(#call.finish_showing(&#result, #show);)
        };
        let body = quote! {
            #show
            let #metrics: &'static #rt::Metrics = {
                static METRICS: #rt::Metrics = #rt::Metrics::new(#name, ::core::module_path!());
                #listed
                &METRICS
            };
            #setup
            let mut #call = #rt::Call::new(#metrics);
            let #result = #value;
            #finish
            #result
        };
        let Function { attrs, vis, .. } = self.func;
        let sig = self.sig;
        match self.func.shape {
            // `#[async_trait]` made the method return a boxed future: so
            // does the expansion, around the same code.
            Shape::Boxed { .. } => quote! {
                #(#attrs)*
                #vis #sig {
                    ::std::boxed::Box::pin(async move { #body })
                }
            },
            _ => quote! {
                #(#attrs)*
                #vis #sig { #body }
            },
        }
    }

    /// Lists a static of the function's in the registry when the program is
    /// linked: `item` is an `Item` variant holding it.
    fn listed(&self, item: TokenStream) -> TokenStream {
        let rt = self.rt;
        quote! {
            #rt::inventory::submit! { #rt::Entry(#rt::Item::#item) }
        }
    }

    /// The user's body as a future, run anew for each attempt.
    fn body(&self) -> TokenStream {
        let Expansion { func, nameable, .. } = self;
        let body = &func.body;
        match func.shape {
            // The future `#[async_trait]` built: built again per attempt.
            Shape::Boxed { .. } => quote!((#body)),
            _ => {
                let fake_return = local("fake_return");
                // The unreachable `return` tells inference the body's type,
                // which `?` and `return` in the body need (tracing-attributes
                // does the same). The statements stand in our own block, so
                // a one-expression body gets no braces of its own.
                quote! {
                    async {
                        #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::needless_return)]
                        if false {
                            let #fake_return: #nameable = loop {};
                            return #fake_return;
                        }
                        #body
                    }
                }
            }
        }
    }

    /// `#[timeout]` around `future`, with its timer in `slot` if given.
    fn timeout(&self, t: &TimeoutArgs, slot: Option<&Ident>, future: TokenStream) -> TokenStream {
        let Expansion {
            rt,
            rt_at_error,
            err_span,
            metrics,
            ..
        } = self;
        let limit = args::duration_tokens(rt, t.limit);
        let convert = quote_spanned!(*err_span=> #rt_at_error::timed_out());
        match slot {
            Some(slot) => {
                quote!(#rt::timeout_in(#slot.as_mut(), #limit, #metrics, #convert, #future))
            }
            None => quote!(#rt::timeout(#limit, #metrics, #convert, #future)),
        }
    }

    /// `#[circuit_breaker]` around `future`: the statements that find the
    /// breaker, and the guarded future.
    /// With `retry_on`, the results its `check` refuses count as failures.
    fn breaker(
        &self,
        b: &BreakerArgs,
        future: TokenStream,
        check: Option<&Ident>,
    ) -> (TokenStream, TokenStream) {
        let Expansion {
            rt,
            rt_at_error,
            err_span,
            name,
            metrics,
            ..
        } = self;
        let handle = local("breaker");
        let policy = b.config(rt);
        let breaker_name = b.breaker_name(name);
        let setup = match (&b.key, &b.name) {
            (Some(key), _) => {
                let max_keys = b.max_keys();
                let rt_at_key = item::respan(TokenStream::clone(rt), key.span());
                // The static is named so that no key expression can mean
                // it (items are not hygienic); the call is spanned at the
                // key, where rustc reports a missing `Hash`.
                let get = quote_spanned!(key.span()=> #rt_at_key::keyed_breaker(&__RESILIENT_BREAKERS, &(#key)));
                let listed = self.listed(quote!(Keyed(&__RESILIENT_BREAKERS)));
                quote! {
                    let #handle = {
                        static __RESILIENT_BREAKERS: #rt::KeyedBreakers = #rt::KeyedBreakers::of_function(
                            #breaker_name, ::core::module_path!(), #policy, #max_keys);
                        #listed
                        #get
                    };
                }
            }
            (None, Some(_)) => {
                let listed = self.listed(quote!(Shared(&BREAKER)));
                quote! {
                    let #handle: &'static #rt::CircuitBreaker = {
                        static BREAKER: #rt::SharedBreaker = #rt::SharedBreaker::of_function(
                            #breaker_name, ::core::module_path!(), #name, #policy);
                        #listed
                        BREAKER.get()
                    };
                }
            }
            (None, None) => {
                let listed = self.listed(quote!(Breaker(&BREAKER)));
                quote! {
                    let #handle: &'static #rt::CircuitBreaker = {
                        static BREAKER: #rt::CircuitBreaker = #rt::CircuitBreaker::of_function(
                            #breaker_name, ::core::module_path!(), #policy);
                        #listed
                        &BREAKER
                    };
                }
            }
        };
        let record = match &b.record_if {
            Some(path) => {
                let rt = item::respan(TokenStream::clone(rt), path.span());
                quote_spanned!(path.span()=> #rt::predicate(#path))
            }
            // Every error counts against the breaker.
            None => quote!(#rt::always),
        };
        let reject = quote_spanned!(*err_span=> #rt_at_error::rejection());
        let mut guarded = quote!(#rt::breaker_call(&*#handle, #record, #metrics, #reject, #future));
        if let Some(check) = check {
            guarded = quote!(#guarded.refusing(&#check));
        }
        (setup, guarded)
    }

    /// `#[retry]`'s loop around `future`, binding `rebinds` per attempt.
    fn retry(
        &self,
        retry: &RetryArgs,
        future: TokenStream,
        mut before_attempt: TokenStream,
        rebinds: &[TokenStream],
        check: Option<&Ident>,
    ) -> TokenStream {
        let Expansion {
            rt,
            rt_at_error,
            err_span,
            call,
            ..
        } = self;
        let err_span = *err_span;
        let (result, delay, policy, state, out) = (
            local("result"),
            local("delay"),
            local("policy"),
            local("retry"),
            local("out"),
        );
        let attempt = if retry.is_timed() {
            let convert = quote_spanned!(err_span=> #rt_at_error::timed_out());
            // Its timer in a slot beside the attempt, as `#[timeout]`'s.
            let slot = local("attempt_timer");
            before_attempt.extend(timer_slot(rt, &slot));
            quote!(#rt::attempt_in(&#state, &mut #call, #convert, #slot.as_mut(), #future))
        } else {
            quote!(#state.untimed(&mut #call, #future))
        };
        // With `retry_if`, the error's own hints are kept when it has them
        // (`E: Transient`): method resolution picks `KeepHints` then.
        let (classifier, classify) = match &retry.retry_if {
            Some(path) => {
                let classifier = local("classify");
                let rt = item::respan(TokenStream::clone(rt), path.span());
                // One of the two traits goes unused, whichever is picked.
                let nameable = &self.nameable;
                let output = quote!(::core::marker::PhantomData::<fn() -> #nameable>);
                let predicate = quote_spanned!(path.span()=> #rt::predicate_for(#output, #path));
                let made = quote! {
                    let #classifier = {
                        #[allow(unused_imports)]
                        use #rt::{KeepHints as _, NoHints as _};
                        (&&#predicate).classifier()
                    };
                };
                (made, quote!(&#classifier))
            }
            None => (
                TokenStream::new(),
                quote_spanned!(err_span=> &#rt_at_error::ByTransient),
            ),
        };
        // Rustc reports an unmet bound on `E` at the argument it was
        // inferred from: place that argument at the user's error type.
        let out_at_error = local_at("out", err_span);
        let show = &self.show;
        let decide = match check {
            Some(check) => {
                quote_spanned!(err_span=> #rt_at_error::after_checked(&mut #state, &mut #call, #out_at_error, #classify, &#check, #show))
            }
            None => {
                quote_spanned!(err_span=> #rt_at_error::after(&mut #state, &mut #call, #out_at_error, #classify, #show))
            }
        };
        // A named policy is read on each call, so that a reloaded file
        // applies to the next call; otherwise the policy is a constant.
        let policy_value = match &retry.policy {
            Some(named) => quote!(&#rt::retry_policy(#named)),
            None => {
                let config = retry.config(rt);
                quote! {{
                    static POLICY: #rt::RetryPolicy = #config;
                    &POLICY
                }}
            }
        };
        quote! {{
            let #policy: &#rt::RetryPolicy = #policy_value;
            #classifier
            let mut #state = #rt::Retrying::new(#policy, &mut #call);
            loop {
                #(#rebinds)*
                let #out = { #before_attempt #attempt.await };
                match #decide {
                    #rt::Step::Done(#result) => break #result,
                    #rt::Step::Retry(#delay) => #rt::sleep(#delay).await,
                    _ => ::core::unreachable!("a retry only retries or ends"),
                }
            }
        }}
    }

    /// `#[self_heal]`'s rounds around `value`, binding `rebinds` per round.
    fn heal(&self, h: &HealArgs, value: TokenStream, rebinds: &[TokenStream]) -> TokenStream {
        let Expansion {
            sig,
            rt,
            name,
            call,
            ..
        } = self;
        let (delay, healer, heal, out, result, error) = (
            local("delay"),
            local("healer"),
            local("heal"),
            local("out"),
            local("result"),
            local("error"),
        );
        let policy = h.config(rt);
        let diagnoser = &h.diagnoser;
        let diagnose = item::call(sig, diagnoser, &item::by_reference(sig, quote!(&#error)));
        let rt_at_diagnoser = item::respan(TokenStream::clone(rt), diagnoser.span());
        let diagnose = quote_spanned!(diagnoser.span()=> || #rt_at_diagnoser::diagnosis(#diagnose));
        let show = &self.show;
        let listed = self.listed(quote!(Healer(&HEALER)));
        quote! {{
            let #healer: &'static #rt::Healer = {
                static HEALER: #rt::Healer = #rt::Healer::of_function(#name, ::core::module_path!(), #policy);
                #listed
                &HEALER
            };
            let mut #heal = #rt::Healing::new(#healer);
            loop {
                #heal.round();
                let #out = { #(#rebinds)* #value };
                match #heal.after(#out, #show) {
                    #rt::Step::Done(#result) => break #result,
                    // `then`'s retries, after the fix.
                    #rt::Step::Retry(#delay) => #rt::sleep(#delay).await,
                    #rt::Step::Heal(#error) => {
                        let #delay = #heal.remedy(&#call, #show(&#error), #diagnose).await;
                        match #delay {
                            ::core::option::Option::Some(#delay) => #rt::sleep(#delay).await,
                            ::core::option::Option::None => break ::core::result::Result::Err(#error),
                        }
                    }
                    _ => ::core::unreachable!("self-healing only heals or ends"),
                }
            }
        }}
    }

    /// `#[fallback]`'s tiers after `value`, the primary, which binds
    /// `rebinds` first.
    fn fallback(
        &self,
        f: &FallbackArgs,
        value: TokenStream,
        rebinds: &[TokenStream],
    ) -> TokenStream {
        let Expansion {
            sig,
            rt,
            name,
            nameable,
            show,
            call,
            ..
        } = self;
        let (tiers, out, result) = (local("tiers"), local("out"), local("result"));
        let label = syn::Lifetime::new("'__resilient_fallback", Span::mixed_site());
        let when = match &f.when {
            Some(path) => {
                let rt = item::respan(TokenStream::clone(rt), path.span());
                quote_spanned!(path.span()=> #rt::predicate(#path))
            }
            None => quote!(#rt::always),
        };
        let tier = |name: &str, t: &resilient_spec::fallback::Tier| {
            let cost = args::float(t.cost.unwrap_or(0.0));
            let accuracy = t.accuracy.map(|a| {
                let a = args::float(a);
                quote!(.accuracy(#a))
            });
            quote!(#rt::FallbackTier::new(#name, #cost) #accuracy)
        };
        let mut entries = vec![tier(name, &f.primary)];
        let mut tiers_code = Vec::new();
        let last = f.alternatives.len();
        for (i, alt) in f.alternatives.iter().enumerate() {
            let tier_name = alt
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            entries.push(tier(&tier_name, &alt.tier));
            let n = i + 1;
            let span = alt.path.span();
            let target = item::call(sig, &alt.path, &item::passed_again(sig, rt, n == last));
            let rt_at_tier = item::respan(TokenStream::clone(rt), span);
            // The whole expression at the alternative's name, so that a
            // mismatched output is reported there too.
            let call_at = local_at(&CALL["__resilient_".len()..], span);
            let run = quote_spanned!(span=> #call_at.tier(#rt_at_tier::tier(#target)).await);
            tiers_code.push(if n == last {
                quote! {
                    let #out: #nameable = #run;
                    #tiers.last(#n, #call.lap(), #out, #show)
                }
            } else {
                let settle = quote!(#tiers.after(#n, #call.lap(), #out, #when, #show));
                quote! {
                    let #out: #nameable = #run;
                    if let #rt::Step::Done(#result) = #settle {
                        break #label #result;
                    }
                }
            });
        }
        let settle = quote!(#tiers.after(0, #call.lap(), #out, #when, #show));
        let listed = self.listed(quote!(Tiers(&TIERS)));
        quote! {{
            let #tiers: &'static #rt::Tiers = {
                static TIERS: #rt::Tiers = #rt::Tiers::of_function(#name, ::core::module_path!(), &[#(#entries),*]);
                #listed
                &TIERS
            };
            #label: {
                let #out: #nameable = { #(#rebinds)* #value };
                if let #rt::Step::Done(#result) = #settle {
                    break #label #result;
                }
                #(#tiers_code)*
            }
        }}
    }
}
