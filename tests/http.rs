//! The `reqwest` feature: `http::Error` under every attribute, `Transient`
//! for `reqwest::Error`, `Retry-After` in both forms, and the middleware,
//! against a scripted server that stands at the end of the middleware
//! chain (so the clock can be paused), and once over loopback.
#![cfg(feature = "reqwest")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::StatusCode;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Next};
use resilient_async::http::{self, Middleware};
use resilient_async::{circuit_breaker, retry, timeout, BreakerConfig, RetryConfig, Transient};
use tokio::time::Instant;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A status and its `Retry-After`.
type Answer = (u16, Option<&'static str>);

/// Answers each request with the next scripted status (the last one
/// repeats), and records the requests' idempotency keys.
#[derive(Clone, Default)]
struct Script {
    answers: Arc<Mutex<Vec<Answer>>>,
    keys: Arc<Mutex<Vec<Option<String>>>>,
}

impl Script {
    fn new(answers: &[Answer]) -> Self {
        let mut a = answers.to_vec();
        a.reverse();
        Script {
            answers: Arc::new(Mutex::new(a)),
            keys: Arc::default(),
        }
    }

    fn keys(&self) -> Vec<Option<String>> {
        self.keys.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for Script {
    async fn handle(
        &self,
        req: reqwest::Request,
        _: &mut ::http::Extensions,
        _: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let key = req
            .headers()
            .get("idempotency-key")
            .map(|v| v.to_str().unwrap().to_string());
        self.keys.lock().unwrap().push(key);
        let (status, retry_after) = {
            let mut answers = self.answers.lock().unwrap();
            if answers.len() > 1 {
                answers.pop().unwrap()
            } else {
                answers[0]
            }
        };
        let mut response = ::http::Response::builder().status(status);
        if let Some(r) = retry_after {
            response = response.header(RETRY_AFTER, r);
        }
        Ok(response.body("body").unwrap().into())
    }
}

fn client(middleware: Middleware, script: &Script) -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(middleware)
        .with(script.clone())
        .build()
}

fn retrying(max: u32) -> Middleware {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    Middleware::new(format!("mw_{max}_{n}")).retry(
        RetryConfig::new()
            .max_retries(max)
            .backoff(Duration::from_millis(100))
            .build()
            .unwrap(),
    )
}

#[tokio::test(start_paused = true)]
async fn the_middleware_retries_honours_retry_after_and_keeps_one_key() {
    let script = Script::new(&[(503, Some("3")), (429, Some("2")), (200, None)]);
    let client = client(retrying(3), &script);
    let start = Instant::now();
    let response = client.get("http://example.test/").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // Retry-After 3 s, then 2 s (each longer than the backoff).
    assert_eq!(start.elapsed(), secs(5));
    let keys = script.keys();
    assert_eq!(keys.len(), 3);
    let key = keys[0].clone().expect("a key is sent");
    assert_eq!(key.len(), 32);
    assert!(keys.iter().all(|k| k.as_deref() == Some(key.as_str())));
}

#[tokio::test(start_paused = true)]
async fn each_request_gets_its_own_key_and_a_header_can_be_renamed_or_dropped() {
    let script = Script::new(&[(200, None)]);
    let plain = client(retrying(1), &script);
    plain.get("http://example.test/").send().await.unwrap();
    plain.get("http://example.test/").send().await.unwrap();
    let keys = script.keys();
    assert_ne!(keys[0], keys[1]);

    let script = Script::new(&[(200, None)]);
    let keyless = client(retrying(1).idempotency_header(None), &script);
    keyless.get("http://example.test/").send().await.unwrap();
    assert_eq!(script.keys(), [None]);
}

#[tokio::test(start_paused = true)]
async fn a_request_inside_an_annotated_call_sends_the_calls_key() {
    static SCRIPT: std::sync::OnceLock<Script> = std::sync::OnceLock::new();
    static CLIENT: std::sync::OnceLock<ClientWithMiddleware> = std::sync::OnceLock::new();
    let script = SCRIPT.get_or_init(|| Script::new(&[(400, None), (200, None)]));
    CLIENT.get_or_init(|| client(retrying(0), script));

    fn bad_request(e: &http::Error) -> bool {
        e.status() == Some(StatusCode::BAD_REQUEST)
    }
    #[retry(max = 1, backoff = "1s", retry_if = bad_request)]
    async fn post() -> Result<u16, http::Error> {
        let client = CLIENT.get().unwrap();
        let response = client
            .post("http://example.test/")
            .send()
            .await
            .map_err(|e| match e {
                reqwest_middleware::Error::Reqwest(e) => http::Error::from(e),
                other => panic!("{other}"),
            })?;
        Ok(http::error_for_status(response)?.status().as_u16())
    }
    assert_eq!(post().await.unwrap(), 200);
    let keys = script.keys();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], keys[1]);
    let key = resilient_async::IdempotencyKey::from_u128(
        u128::from_str_radix(keys[0].as_deref().unwrap(), 16).unwrap(),
    );
    assert_eq!(key.to_string(), keys[0].clone().unwrap());
}

#[tokio::test(start_paused = true)]
async fn when_retries_run_out_the_last_response_is_returned_as_it_was() {
    let script = Script::new(&[(503, None)]);
    let middleware = retrying(2);
    let figures = middleware.clone();
    let client = client(middleware, &script);
    let response = client.get("http://example.test/").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.text().await.unwrap(), "body");
    let m = figures.metrics().snapshot();
    assert_eq!((m.calls, m.attempts, m.failures), (1, 3, 1));
}

#[tokio::test(start_paused = true)]
async fn a_permanent_status_is_not_retried() {
    let script = Script::new(&[(404, None), (200, None)]);
    let client = client(retrying(3), &script);
    let response = client.get("http://example.test/").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(script.keys().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_middleware_feeds_its_breaker_and_waits_out_the_cooldown() {
    let script = Script::new(&[(503, None), (503, None), (200, None)]);
    let middleware = Middleware::new("mw_breaker")
        .retry(
            RetryConfig::new()
                .max_retries(3)
                .backoff(Duration::from_millis(10))
                .max_delay(secs(60))
                .build()
                .unwrap(),
        )
        .circuit_breaker(
            BreakerConfig::new()
                .threshold(2)
                .cooldown(secs(30))
                .build()
                .unwrap(),
        );
    let breaker = middleware.clone();
    let client = client(middleware, &script);
    let start = Instant::now();
    let response = client.get("http://example.test/").send().await.unwrap();
    // Two 503s open the breaker; the third attempt is refused with the
    // cooldown as its wait; the fourth is the probe, which succeeds.
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(script.keys().len(), 3);
    assert_eq!(start.elapsed(), Duration::from_millis(30_010));
    assert_eq!(
        breaker.breaker().unwrap().state(),
        resilient_async::circuit_breaker::State::Closed
    );
    assert!(resilient_async::circuit_breaker::get("mw_breaker").is_some());
    assert!(resilient_async::metrics::get("mw_breaker").is_some());
}

#[test]
fn retry_after_in_both_forms() {
    let mut headers = HeaderMap::new();
    assert_eq!(http::retry_after(&headers), None);
    headers.insert(RETRY_AFTER, HeaderValue::from_static(" 7 "));
    assert_eq!(http::retry_after(&headers), Some(secs(7)));
    let later = SystemTime::now() + secs(3600);
    headers.insert(
        RETRY_AFTER,
        HeaderValue::from_str(&httpdate::fmt_http_date(later)).unwrap(),
    );
    let wait = http::retry_after(&headers).unwrap();
    assert!(wait > secs(3590) && wait <= secs(3600), "{wait:?}");
    headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
    assert_eq!(http::retry_after(&headers), None);
    headers.insert(
        RETRY_AFTER,
        HeaderValue::from_static("99999999999999999999999"),
    );
    assert_eq!(http::retry_after(&headers), None);
}

#[tokio::test]
async fn reqwest_errors_are_classified_by_kind() {
    // Nothing listens on a port just released: a connect error.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = reqwest::get(format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert!(err.is_connect());
    assert!(err.is_transient());
    // A URL that cannot be built: permanent.
    let err = reqwest::Client::new()
        .get("not a url")
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_transient());
}

#[test]
fn http_errors_keep_their_waits() {
    let e = http::Error::Status {
        status: StatusCode::TOO_MANY_REQUESTS,
        retry_after: Some(secs(4)),
    };
    assert!(e.is_transient());
    assert_eq!(e.retry_after(), Some(secs(4)));
    let e = http::Error::from(resilient_async::CircuitOpen::new("api", Some(secs(9))));
    assert_eq!(e.retry_after(), Some(secs(9)));
    let e = http::Error::Status {
        status: StatusCode::UNAUTHORIZED,
        retry_after: None,
    };
    assert!(!e.is_transient());
    // Boxed, the chain is walked to it.
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(http::Error::Status {
        status: StatusCode::BAD_GATEWAY,
        retry_after: Some(secs(2)),
    });
    assert_eq!(boxed.retry_after(), Some(secs(2)));
}

/// `#[timeout]` and `#[circuit_breaker]` on a reqwest call, over loopback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_attribute_on_a_reqwest_call() {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(secs(5)).await;
            "late"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    #[retry(max = 1, backoff = "10ms")]
    #[circuit_breaker(threshold = 10)]
    #[timeout("50ms")]
    async fn slow(url: &str) -> Result<String, http::Error> {
        let response = http::error_for_status(reqwest::get(url).await?)?;
        Ok(response.text().await?)
    }
    let err = slow(&format!("http://{addr}/slow")).await.unwrap_err();
    assert!(matches!(err, http::Error::TimedOut(_)), "{err}");
    let m = resilient_async::metrics::get("slow").unwrap().snapshot();
    assert_eq!((m.attempts, m.timeouts), (2, 2));
}
