//! The tutorial's receipt pipeline against a real, flaky HTTP service on
//! loopback: a vision model that goes down for a stretch, an LLM that
//! rate-limits with `Retry-After`, slow answers, poor images that need
//! preprocessing, and a cheap local OCR as the last resort. Every receipt
//! carries an idempotency key, so none is charged twice.
//!
//! ```text
//! cargo run --all-features --example receipt_pipeline
//! cargo run --all-features --example receipt_pipeline -- --receipts 500 --seed 3 --failure-rate 0.4 --verbose
//! ```

mod pipeline;

use std::io::Write;
use std::time::Duration;

use clap::Parser;
use pipeline::Config;

#[derive(Parser)]
#[command(about = "Receipts through flaky services, with resilient's attributes")]
struct Args {
    /// Receipts to process.
    #[arg(long, default_value_t = 200)]
    receipts: usize,
    /// Seed for the services' faults and the retry jitter.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// The share of calls each flaky service fails, from 0 to 1.
    #[arg(long, default_value_t = 0.2)]
    failure_rate: f64,
    /// Print resilient's tracing events.
    #[arg(long, short)]
    verbose: bool,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if args.verbose {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .init();
    }
    let config = Config {
        receipts: args.receipts,
        seed: args.seed,
        failure_rate: args.failure_rate.clamp(0.0, 1.0),
        concurrency: 8,
        outage: (Duration::from_millis(300), Duration::from_millis(1100)),
    };
    let width = 40;
    let mut drawn = usize::MAX;
    let report = pipeline::run(&config, |p| {
        // Redraw only when the bar moves.
        let filled = p.done * width / p.total.max(1);
        if filled != drawn || p.done == p.total {
            drawn = filled;
            eprint!(
                "\r[{}{}] {}/{}",
                "#".repeat(filled),
                ".".repeat(width - filled),
                p.done,
                p.total
            );
            let _ = std::io::stderr().flush();
        }
    })
    .await;
    eprintln!();

    let m = resilient_async::metrics::get("vision").unwrap().snapshot();
    let b = resilient_async::circuit_breaker::get("vision")
        .unwrap()
        .snapshot();
    let chain = resilient_async::fallback::get("vision").unwrap().snapshot();
    let heal = resilient_async::heal::get("vision").map(|h| h.snapshot());
    println!(
        "\n{} receipts in {:.2?} (seed {}, failure rate {})",
        config.receipts, report.elapsed, config.seed, config.failure_rate
    );
    println!(
        "  read            {:>5}  ({:.1}%)",
        report.read.len(),
        100.0 * report.read.len() as f64 / config.receipts as f64
    );
    println!("  failed          {:>5}", report.failed.len());
    println!(
        "  vision attempts {:>5}  ({:.2} per receipt, {:.2} retries per receipt)",
        m.attempts,
        m.avg_attempts(),
        m.retry_rate()
    );
    println!("  timeouts        {:>5}", m.timeouts);
    if let Some(l) = m.latency {
        println!(
            "  vision latency  p50 {:.0?}, p90 {:.0?}, p99 {:.0?}, max {:.0?} (whole calls: retries, heals and tiers)",
            l.p50, l.p90, l.p99, l.max
        );
    }
    println!(
        "\n  vision breaker: opened {} times, {} calls refused; every transition:",
        b.opened, b.rejections
    );
    for (at, t) in &report.transitions {
        println!("    {:>6} ms  {t}", at.as_millis());
    }
    println!("\n  served by        calls  served   cost each   spent");
    for t in &chain.tiers {
        println!(
            "    {:<12} {:>7} {:>7}   ${:<8.3}  ${:.3}",
            t.name,
            t.calls,
            t.served,
            t.cost,
            t.served as f64 * t.cost
        );
    }
    println!(
        "    {:<12} {:>7} {:>7}              ${:.3}",
        "total",
        "",
        chain.served(),
        chain.spent()
    );
    if let Some(h) = heal {
        println!(
            "\n  self-healing: {} diagnosed, {} joined a running remedy, {} healed, {} gave up",
            h.diagnosed, h.joined, h.healed, h.gave_up
        );
    }
    let (charged, twice, replays) = report.server.ledger(|l| {
        (
            l.charges.len(),
            l.charges.values().filter(|n| **n > 1).count(),
            l.replays,
        )
    });
    println!("\n  server: {charged} receipts charged, {twice} charged twice, {replays} late retries answered without a second charge");
    for (receipt, reason) in &report.failed {
        println!("  receipt {:>4} failed: {reason}", receipt.id);
    }

    // What Prometheus would scrape from this process.
    let url = format!("http://{}/metrics", report.metrics);
    let scrape = reqwest::get(&url).await.unwrap().text().await.unwrap();
    println!("\n  {url} (a few of its lines):");
    for line in scrape.lines().filter(|l| {
        l.starts_with("resilient_calls_total")
            || l.starts_with("resilient_breaker_state")
            || l.starts_with("resilient_tier_calls_total{function=\"receipt_pipeline::pipeline::vision\",tier=\"local_ocr\"")
    }) {
        println!("    {line}");
    }
}
