//! The `tower` feature: each layer on the engines' counts under a paused
//! clock, a `ServiceBuilder` stack calling a server on loopback, and the
//! layers inside a real axum router.
#![cfg(feature = "tower")]

use std::convert::Infallible;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use resilient_async::circuit_breaker::State;
use resilient_async::fallback::{Tier, Tiers};
use resilient_async::tower::{CircuitBreakerLayer, FallbackLayer, RetryLayer, TimeoutLayer};
use resilient_async::{BreakerConfig, CircuitOpen, RetryConfig, RetryOn, TimedOut};
use tokio::time::{sleep, Instant};
use tower::{service_fn, BoxError, Service, ServiceBuilder, ServiceExt};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn retries(max: u32) -> resilient_async::RetryPolicy {
    RetryConfig::new()
        .max_retries(max)
        .backoff(ms(100))
        .build()
        .unwrap()
}

/// A service failing its first `fails` calls, counting them all.
fn flaky(
    fails: u32,
) -> (
    Arc<AtomicU32>,
    impl Service<u32, Response = u32, Error = BoxError, Future = impl Send> + Clone + Send + 'static,
) {
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    let service = service_fn(move |n: u32| {
        let k = seen.fetch_add(1, SeqCst);
        async move {
            if k < fails {
                Err::<u32, BoxError>(
                    std::io::Error::from(std::io::ErrorKind::ConnectionReset).into(),
                )
            } else {
                Ok(n * 2)
            }
        }
    });
    (calls, service)
}

#[tokio::test(start_paused = true)]
async fn the_retry_layer_retries_with_the_policy() {
    let (calls, service) = flaky(2);
    let layer = RetryLayer::new("tower_retry", retries(3));
    let mut svc = ServiceBuilder::new().layer(layer.clone()).service(service);
    let start = Instant::now();
    assert_eq!(svc.ready().await.unwrap().call(21).await.unwrap(), 42);
    assert_eq!(calls.load(SeqCst), 3);
    assert_eq!(start.elapsed(), ms(100 + 200));
    let m = resilient_async::metrics::get("tower_retry")
        .unwrap()
        .snapshot();
    assert_eq!((m.calls, m.attempts, m.retries, m.successes), (1, 3, 2, 1));
}

#[tokio::test(start_paused = true)]
async fn a_permanent_error_is_not_retried() {
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    let service = service_fn(move |_: u32| {
        seen.fetch_add(1, SeqCst);
        async {
            Err::<u32, BoxError>(std::io::Error::from(std::io::ErrorKind::PermissionDenied).into())
        }
    });
    let mut svc = ServiceBuilder::new()
        .layer(RetryLayer::new("tower_permanent", retries(3)))
        .service(service);
    assert!(svc.ready().await.unwrap().call(1).await.is_err());
    assert_eq!(calls.load(SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn retry_on_a_response() {
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    let service = service_fn(move |_: u32| {
        let k = seen.fetch_add(1, SeqCst);
        async move { Ok::<u16, BoxError>(if k < 2 { 503 } else { 200 }) }
    });
    let layer =
        RetryLayer::new("tower_retry_on", retries(3)).retry_on(RetryOn(|s: &u16| *s == 503));
    let mut svc = ServiceBuilder::new().layer(layer).service(service);
    assert_eq!(svc.ready().await.unwrap().call(1).await.unwrap(), 200);
    assert_eq!(calls.load(SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn the_timeout_layer_cuts_a_late_call() {
    let service = service_fn(|_: u32| async {
        sleep(Duration::from_secs(60)).await;
        Ok::<u32, BoxError>(1)
    });
    let mut svc = ServiceBuilder::new()
        .layer(TimeoutLayer::new("tower_timeout", ms(250)))
        .service(service);
    let start = Instant::now();
    let err = svc.ready().await.unwrap().call(1).await.unwrap_err();
    assert!(err.downcast_ref::<TimedOut>().is_some(), "{err}");
    assert_eq!(start.elapsed(), ms(250));
    let m = resilient_async::metrics::get("tower_timeout")
        .unwrap()
        .snapshot();
    assert_eq!(m.timeouts, 1);
}

#[tokio::test(start_paused = true)]
async fn the_breaker_layer_opens_and_refuses_without_calling() {
    let (calls, service) = flaky(u32::MAX);
    let layer = CircuitBreakerLayer::new(
        "tower_breaker",
        BreakerConfig::new()
            .threshold(2)
            .cooldown(Duration::from_secs(10))
            .build()
            .unwrap(),
    );
    let mut svc = ServiceBuilder::new().layer(layer.clone()).service(service);
    for _ in 0..2 {
        assert!(svc.ready().await.unwrap().call(1).await.is_err());
    }
    assert_eq!(layer.breaker().state(), State::Open);
    let err = svc.ready().await.unwrap().call(1).await.unwrap_err();
    let open = err.downcast_ref::<CircuitOpen>().expect("refused");
    assert_eq!(open.retry_after(), Some(Duration::from_secs(10)));
    assert_eq!(calls.load(SeqCst), 2);
    assert!(resilient_async::circuit_breaker::get("tower_breaker").is_some());
    assert_eq!(
        resilient_async::metrics::get("tower_breaker")
            .unwrap()
            .snapshot()
            .rejections,
        1
    );
}

#[tokio::test(start_paused = true)]
async fn retry_waits_out_the_breakers_cooldown_in_a_stack() {
    let (calls, service) = flaky(2);
    let mut svc = ServiceBuilder::new()
        .layer(RetryLayer::new(
            "tower_stack_retry",
            RetryConfig::new()
                .max_retries(4)
                .backoff(ms(10))
                .max_delay(Duration::from_secs(60))
                .build()
                .unwrap(),
        ))
        .layer(CircuitBreakerLayer::new(
            "tower_stack_breaker",
            BreakerConfig::new()
                .threshold(2)
                .cooldown(Duration::from_secs(5))
                .build()
                .unwrap(),
        ))
        .service(service);
    let start = Instant::now();
    assert_eq!(svc.ready().await.unwrap().call(5).await.unwrap(), 10);
    // Fails at 0 and 10 ms (open); refused at 30 ms with the rest of the
    // cooldown as the wait; the probe at 5.01 s succeeds.
    assert_eq!(calls.load(SeqCst), 3);
    assert_eq!(start.elapsed(), ms(5_010));
}

static CHAIN: Tiers = Tiers::new(
    "tower_fallback",
    &[Tier::new("primary", 0.03), Tier::new("backup", 0.001)],
);

#[tokio::test(start_paused = true)]
async fn the_fallback_layer_serves_from_the_backup() {
    let (_, primary) = flaky(u32::MAX);
    let backup = service_fn(|n: u32| async move { Ok::<u32, BoxError>(n + 1000) });
    let mut svc = ServiceBuilder::new()
        .layer(FallbackLayer::new(CHAIN.listed(), backup))
        .service(primary);
    assert_eq!(svc.ready().await.unwrap().call(1).await.unwrap(), 1001);
    let s = resilient_async::fallback::get("tower_fallback")
        .unwrap()
        .snapshot();
    assert_eq!(s.tiers[1].served, 1);
    assert_eq!(s.tiers[0].failures, 1);
}

/// A `ServiceBuilder` stack in the canonical order, calling an axum server
/// on loopback that fails its first two requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_builder_stack_over_loopback() {
    use axum::http::StatusCode;
    use axum::routing::get;
    let hits = Arc::new(AtomicU32::new(0));
    let seen = hits.clone();
    let app = axum::Router::new().route(
        "/ocr",
        get(move || {
            let k = seen.fetch_add(1, SeqCst);
            async move {
                if k < 2 {
                    (StatusCode::SERVICE_UNAVAILABLE, "busy")
                } else {
                    (StatusCode::OK, "TOTAL 12.50")
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let client = reqwest::Client::new();
    let ocr = service_fn(move |path: &'static str| {
        let request = client.get(format!("http://{addr}{path}"));
        async move {
            let response = request.send().await?;
            if response.status().is_server_error() {
                return Err::<String, BoxError>(format!("HTTP {}", response.status()).into());
            }
            Ok(response.text().await?)
        }
    });
    static CHAIN: Tiers = Tiers::new(
        "loopback_ocr",
        &[Tier::new("remote", 0.01), Tier::new("cached", 0.0)],
    );
    let cached = service_fn(|_: &'static str| async { Ok::<_, BoxError>("cached".to_string()) });
    let mut stack = ServiceBuilder::new()
        .layer(FallbackLayer::new(CHAIN.listed(), cached))
        .layer(RetryLayer::new(
            "loopback_ocr",
            RetryConfig::new()
                .max_retries(3)
                .backoff(ms(1))
                .build()
                .unwrap(),
        ))
        .layer(CircuitBreakerLayer::new(
            "loopback_ocr",
            BreakerConfig::new().threshold(5).build().unwrap(),
        ))
        .layer(TimeoutLayer::new("loopback_ocr", Duration::from_secs(5)))
        .service(ocr);
    let text = stack.ready().await.unwrap().call("/ocr").await.unwrap();
    assert_eq!(text, "TOTAL 12.50");
    assert_eq!(hits.load(SeqCst), 3);
    let m = resilient_async::metrics::get("loopback_ocr")
        .unwrap()
        .snapshot();
    assert_eq!((m.calls, m.attempts, m.successes), (1, 3, 1));
}

/// The layers inside an axum router, on a handler: its `Infallible` mapped
/// to `BoxError` for the layers, and back to a response for axum.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn layers_inside_an_axum_router() {
    use axum::error_handling::HandleErrorLayer;
    use axum::http::StatusCode;
    use axum::routing::get;
    use axum::Router;

    async fn to_response(error: BoxError) -> (StatusCode, String) {
        if error.is::<TimedOut>() {
            (StatusCode::GATEWAY_TIMEOUT, error.to_string())
        } else if error.is::<CircuitOpen>() {
            (StatusCode::SERVICE_UNAVAILABLE, error.to_string())
        } else {
            (StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
        }
    }
    let breaker = CircuitBreakerLayer::new(
        "axum_slow",
        BreakerConfig::new()
            .threshold(1)
            .cooldown(Duration::from_secs(60))
            .build()
            .unwrap(),
    );
    let app = Router::new().route(
        "/slow",
        get(|| async {
            sleep(Duration::from_secs(30)).await;
            "done"
        })
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(to_response))
                .layer(breaker.clone())
                .layer(TimeoutLayer::new("axum_slow", ms(50)))
                .map_err(|never: Infallible| -> BoxError { match never {} }),
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let first = reqwest::get(format!("http://{addr}/slow")).await.unwrap();
    assert_eq!(first.status(), StatusCode::GATEWAY_TIMEOUT);
    let second = reqwest::get(format!("http://{addr}/slow")).await.unwrap();
    assert_eq!(second.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(breaker.breaker().state(), State::Open);
}
