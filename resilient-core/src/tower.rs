//! tower `Layer`s (feature `tower`): retry, circuit breaker, timeout and
//! fallback for axum, tonic, hyper and any `tower::Service`, run by the
//! engines of the attributes, with the same policies, figures, registry
//! and `tracing` events.
//!
//! # Order
//! A `ServiceBuilder` wraps in the order written, the first layer
//! outermost. Written in the attributes' canonical order, a stack behaves
//! as the attributes do on one function:
//!
//! ```
//! use std::time::Duration;
//! use resilient_core::fallback::{Tier, Tiers};
//! use resilient_core::tower::{CircuitBreakerLayer, FallbackLayer, RetryLayer, TimeoutLayer};
//! use resilient_core::{BreakerConfig, RetryConfig};
//! use tower::{service_fn, BoxError, Service, ServiceBuilder, ServiceExt};
//!
//! static OCR: Tiers = Tiers::new("ocr", &[Tier::new("vision", 0.03), Tier::new("local", 0.001)]);
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
//! let vision = service_fn(|receipt: String| async move { Err::<String, BoxError>("503".into()) });
//! let local = service_fn(|receipt: String| async move { Ok::<_, BoxError>(format!("read {receipt}")) });
//! let mut ocr = ServiceBuilder::new()
//!     .layer(FallbackLayer::new(OCR.listed(), local))                      // #[fallback]
//!     .layer(RetryLayer::new("ocr", RetryConfig::new().max_retries(2).build().unwrap())) // #[retry]
//!     .layer(CircuitBreakerLayer::new("ocr", BreakerConfig::new().threshold(5).build().unwrap())) // #[circuit_breaker]
//!     .layer(TimeoutLayer::new("ocr", Duration::from_secs(30)))             // #[timeout]
//!     .service(vision);
//! let text = ocr.ready().await.unwrap().call("r1".to_string()).await.unwrap();
//! assert_eq!(text, "read r1");
//! assert_eq!(resilient_core::metrics::get("ocr").unwrap().snapshot().attempts, 3);
//! # }
//! ```
//!
//! The layers need requests that are `Clone` (retry and fallback send one
//! again) and services that are `Clone` (the usual tower shape; wrap in
//! `tower::buffer` otherwise). Layers that make an error (timeout, breaker)
//! need an error type with `From<TimedOut>` and `From<CircuitOpen>`:
//! tower's `BoxError` has both; an axum router's `Infallible` is mapped to
//! it first, and back to a response by `HandleErrorLayer`.
//!
//! Layers given the same name share their figures and breaker with each
//! other and with the registry ([`metrics::get`](crate::metrics::get),
//! [`circuit_breaker::get`](crate::circuit_breaker::get)) while they live.

use std::fmt::Display;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tower_layer::Layer;
use tower_service::Service;

use crate::circuit_breaker::Ticket;
use crate::circuit_breaker::{BreakerCall, BreakerPolicy, CircuitBreaker};
use crate::context::Call;
use crate::fallback::{always, Tiers};
use crate::metrics::Metrics;
use crate::retry::{RetryPolicy, Retrying};
use crate::timeout::TimeLimit;
use crate::{AcceptAll, ByTransient, CircuitOpen, Classify, ClassifyResult, Name, Step, TimedOut};

/// The futures the services return.
///
/// ```
/// let call: resilient_core::tower::BoxFuture<u32, std::io::Error> = Box::pin(async { Ok(1) });
/// # let _ = call;
/// ```
pub type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

/// Where a retry layer's policy comes from.
#[derive(Debug, Clone, Copy)]
enum Source {
    Fixed(RetryPolicy),
    /// Read on each call, as `#[retry(policy = "...")]`.
    Named(&'static str),
}

/// Retries the inner service's calls, as `#[retry]` does: errors by their
/// [`Transient`](crate::Transient) impl (or a chosen [`Classify`]), and
/// responses a [`ClassifyResult`] refuses (`retry_on`).
///
/// ```
/// use resilient_core::tower::RetryLayer;
/// use resilient_core::{RetryConfig, RetryOn};
///
/// let policy = RetryConfig::new().max_retries(3).build().unwrap();
/// let layer = RetryLayer::new("payments", policy).retry_on(RetryOn(|status: &u16| *status == 503));
/// # let _ = layer;
/// ```
#[derive(Debug, Clone)]
pub struct RetryLayer<C = ByTransient, R = AcceptAll> {
    shared: Arc<RetryShared<C, R>>,
}

#[derive(Debug)]
struct RetryShared<C, R> {
    policy: Source,
    metrics: Arc<Metrics>,
    classify: C,
    check: R,
}

impl RetryLayer {
    /// Retries with `policy`, counted under `name`.
    pub fn new(name: impl Into<Name>, policy: RetryPolicy) -> Self {
        RetryLayer::with(name.into(), Source::Fixed(policy))
    }

    /// Retries with the loaded policy `policy`'s retry settings, read on
    /// each call (see [`policy`](crate::policy)), counted under its name.
    pub fn named(policy: &'static str) -> Self {
        RetryLayer::with(Name::from(policy), Source::Named(policy))
    }

    fn with(name: Name, policy: Source) -> Self {
        RetryLayer {
            shared: Arc::new(RetryShared {
                policy,
                metrics: Metrics::shared(name),
                classify: ByTransient,
                check: AcceptAll,
            }),
        }
    }
}

impl<C, R> RetryLayer<C, R> {
    /// Classifies errors with `classify` (such as
    /// [`RetryIf`](crate::RetryIf), or [`WithHints`](crate::WithHints)
    /// around it to keep the errors' waits).
    pub fn retry_if<C2>(self, classify: C2) -> RetryLayer<C2, R>
    where
        R: Clone,
    {
        let s = &self.shared;
        RetryLayer {
            shared: Arc::new(RetryShared {
                policy: s.policy,
                metrics: s.metrics.clone(),
                classify,
                check: s.check.clone(),
            }),
        }
    }

    /// Retries the responses `check` refuses (such as
    /// [`RetryOn`](crate::RetryOn)).
    pub fn retry_on<R2>(self, check: R2) -> RetryLayer<C, R2>
    where
        C: Clone,
    {
        let s = &self.shared;
        RetryLayer {
            shared: Arc::new(RetryShared {
                policy: s.policy,
                metrics: s.metrics.clone(),
                classify: s.classify.clone(),
                check,
            }),
        }
    }

    /// The figures of the calls through it.
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }
}

impl<S, C, R> Layer<S> for RetryLayer<C, R> {
    type Service = Retry<S, C, R>;

    fn layer(&self, inner: S) -> Self::Service {
        Retry {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// The service of [`RetryLayer`].
///
/// ```
/// use resilient_core::tower::{Retry, RetryLayer};
/// use resilient_core::RetryPolicy;
/// use tower::{service_fn, BoxError, Layer};
///
/// let svc: Retry<_> = RetryLayer::new("docs_retry", RetryPolicy::DEFAULT)
///     .layer(service_fn(|n: u32| async move { Ok::<_, BoxError>(n) }));
/// # let _ = svc;
/// ```
#[derive(Debug, Clone)]
pub struct Retry<S, C = ByTransient, R = AcceptAll> {
    inner: S,
    shared: Arc<RetryShared<C, R>>,
}

/// Takes the service that was made ready, leaving a clone in its place
/// (the tower idiom for calls that outlive `&mut self`).
fn take_ready<S: Clone>(service: &mut S) -> S {
    let clone = service.clone();
    std::mem::replace(service, clone)
}

async fn ready<S: Service<Req>, Req>(service: &mut S) -> Result<(), S::Error> {
    poll_fn(|cx| service.poll_ready(cx)).await
}

impl<S, Req, C, R> Service<Req> for Retry<S, C, R>
where
    S: Service<Req> + Clone + Send + 'static,
    S::Future: Send,
    S::Response: Send,
    S::Error: From<TimedOut> + Display + Send,
    Req: Clone + Send + 'static,
    C: Classify<S::Error> + Send + Sync + 'static,
    R: ClassifyResult<S::Response> + Send + Sync + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        let mut inner = take_ready(&mut self.inner);
        let shared = self.shared.clone();
        Box::pin(async move {
            let policy = match shared.policy {
                Source::Fixed(p) => p,
                Source::Named(name) => crate::policy::retry_policy(name),
            };
            let mut call = Call::new(&shared.metrics);
            let mut retry = Retrying::new(&policy, &mut call);
            let out = loop {
                let (service, copy) = (&mut inner, request.clone());
                let attempt = async move {
                    // Ready already for the first; asked again for the others.
                    ready(service).await?;
                    service.call(copy).await
                };
                let out = retry.attempt(&mut call, S::Error::from, attempt).await;
                match retry.after_checked(&mut call, out, &shared.classify, &shared.check, |e| e) {
                    Step::Done(out) => break out,
                    Step::Retry(delay) => crate::timer::sleep(delay).await,
                    Step::Heal(_) | Step::Next => unreachable!("a retry only retries or ends"),
                }
            };
            call.finish_showing(&out, |e| e);
            out
        })
    }
}

/// Sends the inner service's calls through a [`CircuitBreaker`], as
/// `#[circuit_breaker]` does: every error counts as a failure, and the
/// responses a [`ClassifyResult`] refuses too; a refused call fails with
/// `E::from(CircuitOpen)` without reaching the service.
///
/// ```
/// use resilient_core::tower::CircuitBreakerLayer;
/// use resilient_core::BreakerConfig;
///
/// let layer = CircuitBreakerLayer::new("payments", BreakerConfig::new().threshold(5).build().unwrap());
/// assert_eq!(layer.breaker().name(), "payments");
/// ```
#[derive(Debug, Clone)]
pub struct CircuitBreakerLayer<R = AcceptAll> {
    breaker: Arc<CircuitBreaker>,
    metrics: Arc<Metrics>,
    check: Arc<R>,
}

impl CircuitBreakerLayer {
    /// A breaker with `policy`, listed under `name`.
    pub fn new(name: impl Into<Name>, policy: BreakerPolicy) -> Self {
        let name = name.into();
        CircuitBreakerLayer {
            breaker: CircuitBreaker::shared(name.clone(), policy),
            metrics: Metrics::shared(name),
            check: Arc::new(AcceptAll),
        }
    }
}

impl<R> CircuitBreakerLayer<R> {
    /// Also counts as failures the responses `check` refuses.
    pub fn refusing<R2>(self, check: R2) -> CircuitBreakerLayer<R2> {
        CircuitBreakerLayer {
            breaker: self.breaker,
            metrics: self.metrics,
            check: Arc::new(check),
        }
    }

    /// The breaker.
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }
}

impl<S, R> Layer<S> for CircuitBreakerLayer<R> {
    type Service = Breaker<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        Breaker {
            inner,
            breaker: self.breaker.clone(),
            metrics: self.metrics.clone(),
            check: self.check.clone(),
        }
    }
}

/// The service of [`CircuitBreakerLayer`].
///
/// ```
/// use resilient_core::tower::{Breaker, CircuitBreakerLayer};
/// use resilient_core::BreakerPolicy;
/// use tower::{service_fn, BoxError, Layer};
///
/// let svc: Breaker<_> = CircuitBreakerLayer::new("docs_breaker", BreakerPolicy::DEFAULT)
///     .layer(service_fn(|n: u32| async move { Ok::<_, BoxError>(n) }));
/// # let _ = svc;
/// ```
#[derive(Debug, Clone)]
pub struct Breaker<S, R = AcceptAll> {
    inner: S,
    breaker: Arc<CircuitBreaker>,
    metrics: Arc<Metrics>,
    check: Arc<R>,
}

impl<S, Req, R> Service<Req> for Breaker<S, R>
where
    S: Service<Req>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
    S::Error: From<CircuitOpen> + Send + 'static,
    R: ClassifyResult<S::Response> + Send + Sync + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        // Asked now: a refused request never reaches the service.
        let ticket = match self.breaker.admit() {
            Ok(ticket) => Admitted {
                breaker: self.breaker.clone(),
                ticket: Some(ticket),
            },
            Err(why) => {
                self.metrics.rejected();
                let open = self.breaker.rejected(why);
                return Box::pin(std::future::ready(Err(S::Error::from(open))));
            }
        };
        let sent = self.inner.call(request);
        let (metrics, check) = (self.metrics.clone(), self.check.clone());
        Box::pin(async move {
            let mut ticket = ticket;
            let admitted = ticket.ticket.take().expect("taken once");
            BreakerCall::admitted(
                &ticket.breaker,
                admitted,
                Some(&metrics),
                S::Error::from,
                sent,
            )
            .refusing(&*check)
            .await
        })
    }
}

/// A ticket until its call takes it over: dropped first (the future was
/// never polled), it gives a probe's place back.
struct Admitted {
    breaker: Arc<CircuitBreaker>,
    ticket: Option<Ticket>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.breaker.abandon(ticket);
        }
    }
}

/// Limits each call of the inner service, as `#[timeout]` does: a late
/// call fails with `E::from(TimedOut)`, counted in its figures.
///
/// ```
/// use std::time::Duration;
/// use resilient_core::tower::TimeoutLayer;
///
/// let layer = TimeoutLayer::new("payments", Duration::from_secs(10));
/// # let _ = layer;
/// ```
#[derive(Debug, Clone)]
pub struct TimeoutLayer {
    limit: Duration,
    metrics: Arc<Metrics>,
}

impl TimeoutLayer {
    /// Calls limited to `limit`, counted under `name`.
    pub fn new(name: impl Into<Name>, limit: Duration) -> Self {
        TimeoutLayer {
            limit,
            metrics: Metrics::shared(name),
        }
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Timeout {
            inner,
            limit: self.limit,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service of [`TimeoutLayer`].
///
/// ```
/// use std::time::Duration;
/// use resilient_core::tower::{Timeout, TimeoutLayer};
/// use tower::{service_fn, BoxError, Layer};
///
/// let svc: Timeout<_> = TimeoutLayer::new("docs_timeout", Duration::from_secs(1))
///     .layer(service_fn(|n: u32| async move { Ok::<_, BoxError>(n) }));
/// # let _ = svc;
/// ```
#[derive(Debug, Clone)]
pub struct Timeout<S> {
    inner: S,
    limit: Duration,
    metrics: Arc<Metrics>,
}

impl<S, Req> Service<Req> for Timeout<S>
where
    S: Service<Req>,
    S::Future: Send + 'static,
    S::Error: From<TimedOut> + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        let sent = self.inner.call(request);
        let (limit, metrics) = (self.limit, self.metrics.clone());
        Box::pin(
            async move { TimeLimit::new(Some(limit), &metrics, S::Error::from, None, sent).await },
        )
    }
}

/// Sends a request the inner service failed to a backup service, as
/// `#[fallback]` does, counting which tier served it in a [`Tiers`] (the
/// primary is its tier 0, the backup its tier 1). Nest layers for longer
/// chains.
///
/// ```
/// use resilient_core::fallback::{Tier, Tiers};
/// use resilient_core::tower::FallbackLayer;
/// use tower::{service_fn, BoxError};
///
/// static QUOTES: Tiers = Tiers::new("quote", &[Tier::new("live", 0.0), Tier::new("cached", 0.0)]);
/// let cached = service_fn(|_: String| async { Ok::<_, BoxError>(42u32) });
/// let layer = FallbackLayer::new(QUOTES.listed(), cached);
/// # let _ = layer;
/// ```
#[derive(Debug, Clone)]
pub struct FallbackLayer<B> {
    tiers: &'static Tiers,
    backup: B,
}

impl<B> FallbackLayer<B> {
    /// Falls back to `backup`, counted in `tiers`.
    pub fn new(tiers: &'static Tiers, backup: B) -> Self {
        FallbackLayer { tiers, backup }
    }
}

impl<S, B: Clone> Layer<S> for FallbackLayer<B> {
    type Service = Fallback<S, B>;

    fn layer(&self, inner: S) -> Self::Service {
        Fallback {
            inner,
            backup: self.backup.clone(),
            tiers: self.tiers,
        }
    }
}

/// How long each tier took, when calls are timed.
struct Lap(u64);

impl Lap {
    fn start() -> Self {
        Lap(if crate::latency::timing() {
            crate::circuit_breaker::clock::now()
        } else {
            0
        })
    }

    fn next(&mut self) -> u64 {
        if self.0 == 0 {
            return 0;
        }
        let now = crate::circuit_breaker::clock::now();
        let took = now.saturating_sub(self.0).max(1);
        self.0 = now;
        took
    }
}

/// The service of [`FallbackLayer`].
///
/// ```
/// use resilient_core::fallback::{Tier, Tiers};
/// use resilient_core::tower::{Fallback, FallbackLayer};
/// use tower::{service_fn, BoxError, Layer};
///
/// static CHAIN: Tiers = Tiers::new("docs_chain", &[Tier::new("a", 0.0), Tier::new("b", 0.0)]);
/// let backup = service_fn(|n: u32| async move { Ok::<_, BoxError>(n) });
/// let svc: Fallback<_, _> = FallbackLayer::new(&CHAIN, backup)
///     .layer(service_fn(|n: u32| async move { Ok::<_, BoxError>(n) }));
/// # let _ = svc;
/// ```
#[derive(Debug, Clone)]
pub struct Fallback<S, B> {
    inner: S,
    backup: B,
    tiers: &'static Tiers,
}

impl<S, B, Req> Service<Req> for Fallback<S, B>
where
    S: Service<Req> + Clone + Send + 'static,
    S::Future: Send,
    S::Response: Send,
    S::Error: Display + Send,
    B: Service<Req, Response = S::Response, Error = S::Error> + Clone + Send + 'static,
    B::Future: Send,
    Req: Clone + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        let mut inner = take_ready(&mut self.inner);
        let mut backup = self.backup.clone();
        let tiers = self.tiers;
        Box::pin(async move {
            let mut lap = Lap::start();
            let out = inner.call(request.clone()).await;
            match tiers.after(0, lap.next(), out, always, |e| e) {
                Step::Next => {
                    let out = match ready(&mut backup).await {
                        Ok(()) => backup.call(request).await,
                        Err(e) => Err(e),
                    };
                    tiers.last(1, lap.next(), out, |e| e)
                }
                Step::Done(out) => out,
                Step::Retry(_) | Step::Heal(_) => unreachable!("a chain serves or moves on"),
            }
        })
    }
}
