//! The receipt pipeline's parts, shared by the example and its conservation
//! test: a flaky HTTP server playing the tutorial's services, and the client
//! code that survives it with `resilient`'s attributes.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use resilient_async::batch::{Batch, Progress};
use resilient_async::http::{self, Middleware};
use resilient_async::{
    circuit_breaker, fallback, retry, self_heal, timeout, CircuitOpen, Heal, RetryConfig, TimedOut,
    Transient,
};
use tokio::time::Instant;

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    pub receipts: usize,
    pub seed: u64,
    /// The share of calls each flaky service fails (0 to 1).
    pub failure_rate: f64,
    pub concurrency: usize,
    /// When the vision API is down, from the server's start.
    pub outage: (Duration, Duration),
}

// ---- the server: the tutorial's services, flaky on purpose ---------------

/// What the server saw, for the report and for checking the client.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Requests per endpoint.
    pub requests: HashMap<String, u64>,
    /// `200`s per endpoint.
    pub served: HashMap<String, u64>,
    /// Charges per idempotency key: a receipt is charged once, however
    /// often it is sent.
    pub charges: HashMap<String, u32>,
    /// The idempotency keys each receipt was sent with, over every
    /// endpoint, retry, heal round and tier: one, if the client keeps its
    /// key across them.
    pub keys: HashMap<u32, HashSet<String>>,
    /// Requests answered from a charge already made (a retry of a call that
    /// succeeded but whose answer came too late).
    pub replays: u64,
    preprocessed: HashSet<u32>,
    answers: HashMap<String, String>,
    attempts: HashMap<(String, u32), u32>,
}

struct Service {
    seed: u64,
    failure_rate: f64,
    start: Instant,
    outage: (Duration, Duration),
    ledger: Mutex<Ledger>,
}

/// A running server on loopback.
pub struct Server {
    pub addr: SocketAddr,
    service: Arc<Service>,
}

impl Server {
    pub fn ledger<R>(&self, f: impl FnOnce(&Ledger) -> R) -> R {
        f(&self.service.ledger.lock().unwrap())
    }
}

pub async fn start_server(config: &Config) -> Server {
    let service = Arc::new(Service {
        seed: config.seed,
        failure_rate: config.failure_rate,
        start: Instant::now(),
        outage: config.outage,
        ledger: Mutex::default(),
    });
    let app = Router::new()
        .route("/{endpoint}", post(handle))
        .with_state(service.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server { addr, service }
}

/// A repeatable roll in [0, 1) for this request: the same seed gives the
/// same faults whatever the order requests arrive in.
fn roll(seed: u64, endpoint: &str, key: &str, attempt: u32) -> f64 {
    let mut h = DefaultHasher::new();
    (seed, endpoint, key, attempt).hash(&mut h);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

async fn handle(
    State(s): State<Arc<Service>>,
    Path(endpoint): Path<String>,
    headers: HeaderMap,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (key, quality) = (header("idempotency-key"), header("x-quality"));
    let id: u32 = header("x-receipt").parse().unwrap_or(0);
    let attempt = {
        let mut l = s.ledger.lock().unwrap();
        *l.requests.entry(endpoint.clone()).or_default() += 1;
        if endpoint != "preprocess" {
            l.keys.entry(id).or_default().insert(key.clone());
        }
        let n = l.attempts.entry((endpoint.clone(), id)).or_default();
        *n += 1;
        *n
    };
    if endpoint == "preprocess" {
        s.ledger.lock().unwrap().preprocessed.insert(id);
        tokio::time::sleep(Duration::from_millis(20)).await;
        return "preprocessed".into_response();
    }
    if quality == "corrupt" {
        return (StatusCode::BAD_REQUEST, "unreadable receipt").into_response();
    }
    let r = roll(s.seed, &endpoint, &id.to_string(), attempt);
    let fr = s.failure_rate;
    let elapsed = s.start.elapsed();
    let slow = match endpoint.as_str() {
        "vision" => {
            if elapsed >= s.outage.0 && elapsed < s.outage.1 {
                return (StatusCode::SERVICE_UNAVAILABLE, "vision model down").into_response();
            }
            if r < fr * 0.6 {
                return (StatusCode::SERVICE_UNAVAILABLE, "overloaded").into_response();
            }
            let poor = quality == "poor" && !s.ledger.lock().unwrap().preprocessed.contains(&id);
            if poor {
                return (StatusCode::UNPROCESSABLE_ENTITY, "image quality too low").into_response();
            }
            r < fr
        }
        "llm" => {
            if r < fr * 0.5 {
                // Come back later: in seconds, or as an HTTP date.
                let value = if attempt % 2 == 1 {
                    "1".to_string()
                } else {
                    httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2))
                };
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", value)],
                    "rate limited",
                )
                    .into_response();
            }
            r < fr * 0.7
        }
        "local_ocr" => false,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    // The work (and the charge) happens first; a slow answer may then reach
    // the client too late, and its retry must not be charged again.
    let answer = {
        let mut l = s.ledger.lock().unwrap();
        *l.served.entry(endpoint.clone()).or_default() += 1;
        match l.answers.get(&key).cloned() {
            Some(answer) => {
                l.replays += 1;
                answer
            }
            None => {
                let answer = format!(
                    "{endpoint}: receipt {id}: TOTAL {}.{:02}",
                    id % 90 + 3,
                    id % 100
                );
                *l.charges.entry(key.clone()).or_default() += 1;
                l.answers.insert(key, answer.clone());
                answer
            }
        }
    };
    tokio::time::sleep(Duration::from_millis(if slow {
        400
    } else {
        5 + (r * 20.0) as u64
    }))
    .await;
    answer.into_response()
}

// ---- the client: ordinary application code -------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quality {
    Good,
    Poor,
    Corrupt,
}

#[derive(Debug, Clone)]
pub struct Receipt {
    pub id: u32,
    pub quality: Quality,
}

/// How a call can fail, and which failures are worth another try.
#[derive(Debug, Clone, Transient)]
pub enum OcrError {
    /// 408, 429, 5xx: the service may recover.
    #[transient]
    Unavailable {
        status: u16,
        #[retry_after]
        retry_after: Option<Duration>,
    },
    /// 400, 401, 403, 404: retrying cannot help.
    #[permanent]
    Rejected { status: u16 },
    /// 422: the image must be cleaned up first (the diagnoser's job).
    #[permanent]
    ImageQuality,
    #[transient]
    Network(String),
    #[transient]
    TimedOut(TimedOut),
    #[delegate]
    Open(CircuitOpen),
}

impl fmt::Display for OcrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OcrError::Unavailable {
                status,
                retry_after: Some(w),
            } => write!(f, "HTTP {status}, retry after {w:?}"),
            OcrError::Unavailable { status, .. } => write!(f, "HTTP {status}"),
            OcrError::Rejected { status } => write!(f, "HTTP {status}: rejected"),
            OcrError::ImageQuality => f.write_str("HTTP 422: image quality too low"),
            OcrError::Network(e) => write!(f, "network: {e}"),
            OcrError::TimedOut(t) => t.fmt(f),
            OcrError::Open(o) => o.fmt(f),
        }
    }
}

impl From<TimedOut> for OcrError {
    fn from(t: TimedOut) -> Self {
        OcrError::TimedOut(t)
    }
}

impl From<CircuitOpen> for OcrError {
    fn from(o: CircuitOpen) -> Self {
        OcrError::Open(o)
    }
}

pub struct Client {
    http: reqwest::Client,
    /// The same client behind `resilient_async::http::Middleware`: retries
    /// with backoff and `Retry-After`, sends the call's idempotency key, and
    /// counts the requests under `local_ocr_http`.
    resilient: reqwest_middleware::ClientWithMiddleware,
    base: String,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Self {
        let http = reqwest::Client::new();
        let policy = RetryConfig::new()
            .max_retries(2)
            .backoff(Duration::from_millis(10))
            .max_delay(Duration::from_millis(200))
            .build()
            .expect("a valid policy");
        let resilient = reqwest_middleware::ClientBuilder::new(http.clone())
            .with(Middleware::new("local_ocr_http").retry(policy))
            .build();
        Client {
            http,
            resilient,
            base: format!("http://{addr}"),
        }
    }

    fn quality(receipt: &Receipt) -> &'static str {
        match receipt.quality {
            Quality::Good => "good",
            Quality::Poor => "poor",
            Quality::Corrupt => "corrupt",
        }
    }

    async fn post(&self, endpoint: &str, receipt: &Receipt) -> Result<String, OcrError> {
        // The call's key: the same on every retry, heal round and tier of
        // one receipt, so the server charges it once.
        let key = resilient_async::attempt()
            .map(|a| a.idempotency_key().to_string())
            .unwrap_or_default();
        let response = self
            .http
            .post(format!("{}/{endpoint}", self.base))
            .header("idempotency-key", key)
            .header("x-receipt", receipt.id.to_string())
            .header("x-quality", Client::quality(receipt))
            .send()
            .await
            .map_err(|e| OcrError::Network(e.to_string()))?;
        read(response).await
    }

    /// Through the middleware, which sets the key and retries 5xx itself.
    async fn post_through_middleware(
        &self,
        endpoint: &str,
        receipt: &Receipt,
    ) -> Result<String, OcrError> {
        let response = self
            .resilient
            .post(format!("{}/{endpoint}", self.base))
            .header("x-receipt", receipt.id.to_string())
            .header("x-quality", Client::quality(receipt))
            .send()
            .await
            .map_err(|e| OcrError::Network(e.to_string()))?;
        read(response).await
    }
}

/// A response as the text read, or the error its status means.
async fn read(response: reqwest::Response) -> Result<String, OcrError> {
    let status = response.status().as_u16();
    match status {
        200..=299 => response
            .text()
            .await
            .map_err(|e| OcrError::Network(e.to_string())),
        408 | 429 | 500..=599 => Err(OcrError::Unavailable {
            status,
            retry_after: http::retry_after(response.headers()),
        }),
        422 => Err(OcrError::ImageQuality),
        _ => Err(OcrError::Rejected { status }),
    }
}

/// The primary: the best model, behind a breaker, retried, healed, and
/// backed by two cheaper tiers.
#[fallback(llm = 0.015, local_ocr = 0.001, cost = 0.03, when = another_tier_may_help)]
#[self_heal(diagnoser = diagnose, max = 1, backoff = "10ms")]
#[retry(max = 2, backoff = "20ms", jitter, max_delay = "200ms")]
#[circuit_breaker(threshold = 5, cooldown = "100ms", max_cooldown = "400ms", record_if = service_failed)]
#[timeout("200ms")]
pub async fn vision(client: &Client, receipt: &Receipt) -> Result<String, OcrError> {
    client.post("vision", receipt).await
}

/// The secondary: an LLM that rate-limits with `Retry-After`.
#[retry(max = 3, backoff = "20ms", max_delay = "3s")]
#[timeout("200ms")]
pub async fn llm(client: &Client, receipt: &Receipt) -> Result<String, OcrError> {
    client.post("llm", receipt).await
}

/// The last resort: local OCR, always up, less accurate, called through
/// the reqwest middleware rather than an attribute.
pub async fn local_ocr(client: &Client, receipt: &Receipt) -> Result<String, OcrError> {
    client.post_through_middleware("local_ocr", receipt).await
}

/// The service's fault, not the receipt's: what the breaker counts.
fn service_failed(e: &OcrError) -> bool {
    matches!(
        e,
        OcrError::Unavailable { .. } | OcrError::Network(_) | OcrError::TimedOut(_)
    )
}

/// An unreadable receipt is unreadable everywhere.
fn another_tier_may_help(e: &OcrError) -> bool {
    !matches!(e, OcrError::Rejected { .. })
}

/// The tutorial's diagnostic step: a poor image is preprocessed, then read
/// again; anything else goes to the next tier.
async fn diagnose(error: &OcrError, client: &Client, receipt: &Receipt) -> Heal {
    match error {
        OcrError::ImageQuality => match client.post("preprocess", receipt).await {
            Ok(_) => Heal::Retry,
            Err(_) => Heal::GiveUp,
        },
        _ => Heal::GiveUp,
    }
}

// ---- a run ---------------------------------------------------------------

/// The application's own figures, as Prometheus scrapes them: installs the
/// `metrics` recorder (once per process, before the first call) and serves
/// `/metrics` on loopback.
pub async fn serve_metrics() -> SocketAddr {
    static PROMETHEUS: std::sync::OnceLock<PrometheusHandle> = std::sync::OnceLock::new();
    let handle = PROMETHEUS
        .get_or_init(|| {
            PrometheusBuilder::new()
                .install_recorder()
                .expect("no other recorder")
        })
        .clone();
    let app = Router::new().route("/metrics", get(move || async move { handle.render() }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

pub struct Report {
    pub elapsed: Duration,
    /// Where `/metrics` is served.
    pub metrics: SocketAddr,
    pub read: Vec<(Receipt, String)>,
    pub failed: Vec<(Receipt, String)>,
    pub server: Server,
    pub transitions: Vec<(Duration, String)>,
}

pub fn receipts(config: &Config) -> Vec<Receipt> {
    (1..=config.receipts as u32)
        .map(|id| {
            let r = roll(config.seed, "receipt", &id.to_string(), 0);
            let quality = if r < 0.02 {
                Quality::Corrupt
            } else if r < 0.12 {
                Quality::Poor
            } else {
                Quality::Good
            };
            Receipt { id, quality }
        })
        .collect()
}

pub async fn run(config: &Config, progress: impl FnMut(Progress)) -> Report {
    let metrics = serve_metrics().await;
    resilient_async::seed_jitter(config.seed);
    let server = start_server(config).await;
    let client = Client::new(server.addr);
    let receipts = receipts(config);
    let start = Instant::now();
    // The breaker is listed before its first call: watch it from the start.
    let transitions = Arc::new(Mutex::new(Vec::new()));
    let log = transitions.clone();
    resilient_async::circuit_breaker::get("vision")
        .expect("listed when the program is linked")
        .subscribe(move |t| {
            log.lock()
                .unwrap()
                .push((start.elapsed(), format!("{:?} -> {:?}", t.from, t.to)))
        });
    let outcomes = Batch::new(receipts)
        .concurrency(config.concurrency)
        .on_progress(progress)
        .run(async |r: &Receipt| vision(&client, r).await)
        .await;
    let (read, failed) = outcomes.into_parts();
    let transitions = transitions.lock().unwrap().clone();
    Report {
        elapsed: start.elapsed(),
        metrics,
        read,
        failed: failed
            .into_iter()
            .map(|(r, e)| (r, e.to_string()))
            .collect(),
        server,
        transitions,
    }
}
