//! The receipt pipeline at scale against its real loopback HTTP server,
//! with a high fault rate: every receipt ends as exactly one success or one
//! failure, the client's figures agree with the server's log, and no
//! idempotency key is charged twice.
#![cfg(all(feature = "reqwest", feature = "metrics"))]

#[path = "../examples/receipt_pipeline/pipeline.rs"]
#[allow(dead_code)]
mod pipeline;

use std::collections::HashSet;
use std::time::Duration;

use pipeline::{Config, Quality};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_receipt_is_accounted_for_and_charged_at_most_once() {
    let config = Config {
        receipts: 2000,
        seed: 11,
        failure_rate: 0.5,
        concurrency: 64,
        outage: (Duration::from_millis(200), Duration::from_millis(700)),
    };
    let mut progress = 0;
    let report = pipeline::run(&config, |p| {
        assert_eq!(p.done, progress + 1);
        progress = p.done;
    })
    .await;
    assert_eq!(progress, config.receipts);

    // Exactly one outcome per receipt.
    let ids: Vec<u32> = report
        .read
        .iter()
        .map(|(r, _)| r.id)
        .chain(report.failed.iter().map(|(r, _)| r.id))
        .collect();
    assert_eq!(ids.len(), config.receipts);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), config.receipts);

    // Only unreadable receipts fail: the local OCR serves the rest.
    let corrupt: HashSet<u32> = pipeline::receipts(&config)
        .into_iter()
        .filter(|r| r.quality == Quality::Corrupt)
        .map(|r| r.id)
        .collect();
    let failed: HashSet<u32> = report.failed.iter().map(|(r, _)| r.id).collect();
    assert_eq!(failed, corrupt);

    // Each receipt reached the server with one idempotency key, across
    // every retry, heal round and tier; the server charged each receipt
    // that was read exactly once, and no other; late retries were answered
    // without a second charge.
    report.server.ledger(|l| {
        for (id, keys) in &l.keys {
            assert_eq!(keys.len(), 1, "receipt {id} was sent with {keys:?}");
        }
        assert!(
            l.charges.values().all(|n| *n == 1),
            "a key was charged twice"
        );
        let key_of = |id: &u32| l.keys[id].iter().next().unwrap().clone();
        let charged: HashSet<String> = l.charges.keys().cloned().collect();
        let read: HashSet<String> = report.read.iter().map(|(r, _)| key_of(&r.id)).collect();
        assert_eq!(charged, read);
        // Every tier the client says served a call answered it on the
        // server: served calls never exceed the server's `200`s.
        let chain = resilient_async::fallback::get("vision").unwrap().snapshot();
        for tier in &chain.tiers {
            let server_ok = l.served.get(tier.name).copied().unwrap_or(0);
            assert!(
                tier.served <= server_ok,
                "{}: {} > {server_ok}",
                tier.name,
                tier.served
            );
        }
        assert_eq!(chain.served(), report.read.len() as u64);
        println!(
            "{} read, {} failed, {} charged, {} replays, served {:?}",
            report.read.len(),
            report.failed.len(),
            l.charges.len(),
            l.replays,
            chain
                .tiers
                .iter()
                .map(|t| (t.name, t.served))
                .collect::<Vec<_>>()
        );
    });

    // The function's figures count each receipt once.
    let m = resilient_async::metrics::get("vision").unwrap().snapshot();
    assert_eq!(m.calls, config.receipts as u64);
    assert_eq!(m.successes, report.read.len() as u64);

    // The same figures, scraped from the application's `/metrics`.
    let scrape = reqwest::get(format!("http://{}/metrics", report.metrics))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |name: &str| {
        scrape
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .map(|v| v.parse::<f64>().unwrap())
            .unwrap_or_else(|| panic!("no {name} in\n{scrape}"))
    };
    let vision = "function=\"receipt_pipeline::pipeline::vision\"";
    assert_eq!(
        value(&format!(
            "resilient_calls_total{{{vision},outcome=\"success\"}}"
        )),
        m.successes as f64
    );
    assert_eq!(
        value(&format!(
            "resilient_call_duration_seconds_count{{{vision}}}"
        )),
        m.calls as f64
    );
    // The local OCR's requests went through the reqwest middleware, which
    // counts them under its own name.
    let served_locally = resilient_async::fallback::get("vision")
        .unwrap()
        .snapshot()
        .tiers[2]
        .served;
    let through = value("resilient_calls_total{function=\"local_ocr_http\",outcome=\"success\"}");
    assert!(
        served_locally > 0 && through >= served_locally as f64,
        "{through} < {served_locally}"
    );
}
