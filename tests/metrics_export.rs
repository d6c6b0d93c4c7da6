//! The `metrics` feature: every figure through the `metrics` facade (here
//! to Prometheus), labelled by function, breaker and tier only. The spans
//! are in `call_spans.rs`.
#![cfg(feature = "metrics")]

mod common;

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::OnceLock;
use std::time::Duration;

use common::ServiceError;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use resilient_async::{circuit_breaker, fallback, retry, self_heal, timeout, Heal};
use tokio::time::sleep;

/// One recorder for the binary, installed before any call.
fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .install_recorder()
            .expect("the only recorder")
    })
}

fn line<'a>(text: &'a str, starts: &str) -> Option<&'a str> {
    text.lines().find(|l| l.starts_with(starts))
}

#[tokio::test(start_paused = true)]
async fn every_figure_goes_out_labelled_by_function() {
    let prom = prometheus();
    static CALLS: AtomicU32 = AtomicU32::new(0);
    #[retry(max = 2, backoff = "1s")]
    #[timeout("5s")]
    async fn exported() -> Result<u32, ServiceError> {
        match CALLS.fetch_add(1, SeqCst) {
            0 => Err(ServiceError::Unavailable(1)),
            1 => {
                sleep(Duration::from_secs(60)).await;
                Ok(0)
            }
            _ => Ok(2),
        }
    }
    assert_eq!(exported().await, Ok(2));

    #[circuit_breaker(threshold = 1, cooldown = "1m")]
    async fn exported_breaker() -> Result<u32, ServiceError> {
        Err(ServiceError::Unavailable(1))
    }
    assert!(exported_breaker().await.is_err());
    assert!(matches!(
        exported_breaker().await,
        Err(ServiceError::Open(_))
    ));

    async fn backup() -> Result<u32, ServiceError> {
        Ok(9)
    }
    #[fallback(backup)]
    async fn exported_chain() -> Result<u32, ServiceError> {
        sleep(Duration::from_millis(300)).await;
        Err(ServiceError::Unauthorized)
    }
    assert_eq!(exported_chain().await, Ok(9));

    async fn diagnose(_: &ServiceError) -> Heal {
        Heal::Retry
    }
    static ROUNDS: AtomicU32 = AtomicU32::new(0);
    #[self_heal(diagnoser = diagnose, max = 1, backoff = "1ms")]
    async fn exported_heal() -> Result<u32, ServiceError> {
        match ROUNDS.fetch_add(1, SeqCst) {
            0 => Err(ServiceError::Unavailable(1)),
            _ => Ok(1),
        }
    }
    assert_eq!(exported_heal().await, Ok(1));

    let text = prom.render();
    let f = "function=\"metrics_export::exported\"";
    for (name, value) in [
        (format!("resilient_calls_total{{{f},outcome=\"success\"}}"), "1"),
        (format!("resilient_retries_total{{{f}}}"), "2"),
        (format!("resilient_timeouts_total{{{f}}}"), "1"),
        (
            "resilient_rejections_total{function=\"metrics_export::exported_breaker\"}".into(),
            "1",
        ),
        (
            "resilient_breaker_state{breaker=\"metrics_export::exported_breaker\"}".into(),
            "1",
        ),
        (
            "resilient_breaker_transitions_total{breaker=\"metrics_export::exported_breaker\",to=\"open\"}"
                .into(),
            "1",
        ),
        (
            "resilient_tier_calls_total{function=\"metrics_export::exported_chain\",tier=\"exported_chain\",outcome=\"failed\"}".into(),
            "1",
        ),
        (
            "resilient_tier_calls_total{function=\"metrics_export::exported_chain\",tier=\"backup\",outcome=\"served\"}".into(),
            "1",
        ),
        (
            "resilient_heal_total{function=\"metrics_export::exported_heal\",event=\"diagnosed\"}".into(),
            "1",
        ),
        (format!("resilient_call_duration_seconds_count{{{f}}}"), "1"),
        (
            "resilient_tier_duration_seconds_count{function=\"metrics_export::exported_chain\",tier=\"exported_chain\"}".into(),
            "1",
        ),
    ] {
        let found = line(&text, &name).unwrap_or_else(|| panic!("no {name} in\n{text}"));
        assert_eq!(found.rsplit(' ').next(), Some(value), "{found}");
    }
    // The whole call took 1 s + 5 s + 2 s on the paused clock: the mean.
    let sum = line(
        &text,
        &format!("resilient_call_duration_seconds_sum{{{f}}}"),
    )
    .unwrap();
    assert_eq!(sum.rsplit(' ').next(), Some("8"), "{sum}");
    // The primary tier failed after 300 ms.
    let tier = line(
        &text,
        "resilient_tier_duration_seconds_sum{function=\"metrics_export::exported_chain\",tier=\"exported_chain\"}",
    )
    .unwrap();
    assert_eq!(tier.rsplit(' ').next(), Some("0.3"), "{tier}");
    // The built-in figures have the durations too.
    let m = resilient_async::metrics::get("metrics_export::exported")
        .unwrap()
        .snapshot();
    assert_eq!(m.latency.unwrap().max, Duration::from_secs(8));
}

#[tokio::test(start_paused = true)]
async fn per_key_breakers_add_no_label_per_key() {
    let prom = prometheus();
    #[circuit_breaker(key = tenant, threshold = 1)]
    async fn per_tenant(tenant: &str) -> Result<u32, ServiceError> {
        let _ = tenant;
        Err(ServiceError::Unavailable(1))
    }
    for i in 0..50 {
        let _ = per_tenant(&format!("tenant-{i}")).await;
    }
    let text = prom.render();
    assert!(!text.contains("tenant-"), "{text}");
    let opened = line(
        &text,
        "resilient_breaker_transitions_total{breaker=\"metrics_export::per_tenant\",to=\"open\"}",
    )
    .unwrap();
    assert_eq!(opened.rsplit(' ').next(), Some("50"));
    // No state gauge: one name cannot show fifty breakers.
    assert!(!text.contains("resilient_breaker_state{breaker=\"metrics_export::per_tenant\"}"));
}
