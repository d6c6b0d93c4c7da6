//! Runs each scenario example's `main`, as `cargo run --example <name>`
//! would, and checks the figures it returns. Each example runs once per
//! process: the library's figures (metrics, breakers, fallback chains,
//! healers) are global, and each example's functions have names of their own.

use std::io::ErrorKind;
use std::time::Duration;

use resilient_async::circuit_breaker::State;
use resilient_async::ItemError;

#[path = "../examples/build_resilient_pipeline.rs"]
mod build_resilient_pipeline;
#[path = "../examples/circuit_breaker_scenario.rs"]
mod circuit_breaker_scenario;
#[path = "../examples/jitter.rs"]
mod jitter;
#[path = "../examples/metrics.rs"]
mod metrics;
#[path = "../examples/model_fallback.rs"]
mod model_fallback;
#[path = "../examples/partial_success.rs"]
mod partial_success;
#[path = "../examples/rate_limit.rs"]
mod rate_limit;
#[path = "../examples/self_heal.rs"]
mod self_heal;
#[path = "../examples/timeout_growth.rs"]
mod timeout_growth;

fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

#[test]
fn timeout_growth_answers_once_the_limit_has_grown() {
    let f = timeout_growth::main();
    // A fixed 30 s limit: the tutorial's three attempts, each cut at 30 s,
    // 0.1 + 0.2 s apart.
    let ran: Vec<_> = f.fixed.tries.iter().map(|t| (t.ran, t.answered)).collect();
    assert_eq!(ran, [(ms(30_000), false); 3]);
    assert_eq!(f.fixed.outcome.unwrap_err().kind(), ErrorKind::TimedOut);
    assert_eq!(f.fixed.took, ms(90_300));
    // 30 s, then 60 s: the second attempt answers after 50 s.
    let tries: Vec<_> = f
        .growing
        .tries
        .iter()
        .map(|t| (t.at, t.ran, t.answered))
        .collect();
    assert_eq!(
        tries,
        [(ms(0), ms(30_000), false), (ms(30_100), ms(50_000), true)]
    );
    assert_eq!(f.growing.outcome.unwrap(), "a haiku about retries");
    assert_eq!(f.growing.took, ms(80_100));
}

#[test]
fn rate_limit_waits_as_long_as_the_server_says() {
    let f = rate_limit::main();
    assert_eq!(f.honoured, ["0s 429 (wait 10s)", "10s 200"]);
    assert_eq!(
        f.ignored,
        [
            "0s 429 (wait 10s)",
            "1s 429 (wait 9s)",
            "3s 429 (wait 7s)",
            "7s 429 (wait 3s)",
            "15s 200"
        ]
    );
    // A hint beyond max_delay: one request, no retry.
    assert_eq!(f.daily, ["0s 429 (wait 86400s)"]);
}

#[test]
fn model_fallback_serves_from_the_first_tier_that_works() {
    let f = model_fallback::main();
    let served: Vec<_> = f
        .served_by
        .iter()
        .map(|r| r.as_ref().copied().map_err(|e| e.as_str()))
        .collect();
    let (gpt, claude, local) = (Ok("gpt4_vision"), Ok("claude"), Ok("local_ocr"));
    let all_down = Err("local_ocr: 503 service unavailable");
    assert_eq!(
        served,
        [gpt, gpt, gpt, claude, claude, local, local, claude, gpt, gpt, all_down]
    );
    let tiers: Vec<_> = f
        .chain
        .tiers
        .iter()
        .map(|t| (t.name, t.calls, t.served, t.failures))
        .collect();
    assert_eq!(
        tiers,
        [
            ("gpt4_vision", 11, 5, 6),
            ("claude", 6, 3, 3),
            ("local_ocr", 3, 2, 1)
        ]
    );
    assert!((f.chain.spent() - (5.0 * 0.10 + 3.0 * 0.05 + 2.0 * 0.01)).abs() < 1e-9);
    assert_eq!(f.chain.primary_rate(), 0.5);
    // 5 answers at 99 %, 3 at 95 %, 2 at 85 %.
    let expected = (5.0 * 0.99 + 3.0 * 0.95 + 2.0 * 0.85) / 10.0;
    assert!((f.chain.expected_accuracy().unwrap() - expected).abs() < 1e-9);
}

#[test]
fn circuit_breaker_scenario_opens_refuses_probes_and_closes() {
    let f = circuit_breaker_scenario::main();
    assert_eq!(f.timeline, "...xxxxxooooooxoooooo.........");
    use State::*;
    assert_eq!(
        f.transitions,
        [
            (72, Closed, Open),
            (140, Open, HalfOpen),
            (142, HalfOpen, Open),
            (210, Open, HalfOpen),
            (211, HalfOpen, Closed)
        ]
    );
    let b = f.breaker;
    assert_eq!(
        (b.state, b.calls, b.failures, b.rejections, b.opened),
        (Closed, 18, 6, 12, 2)
    );
}

#[test]
fn self_heal_fixes_what_the_diagnoser_finds() {
    let f = self_heal::main();
    let outcomes: Vec<_> = f.receipts.iter().map(|(_, out)| out.clone()).collect();
    let ok = |total: &str| Ok(format!("TOTAL {total}"));
    assert_eq!(
        outcomes,
        [
            ok("4.50"),
            ok("8.50"),
            ok("12.50"),
            ok("16.50"),
            Err(self_heal::OcrError::Unreadable)
        ]
    );
    let fixes: Vec<_> = f.receipts[3]
        .0
        .iter()
        .filter(|s| !s.starts_with("ocr"))
        .collect();
    assert_eq!(fixes, ["preprocess_image", "fix_encoding"]);
    let h = f.heal;
    assert_eq!((h.diagnosed, h.healed, h.gave_up, h.joined), (5, 3, 1, 0));
}

#[test]
fn jitter_spreads_the_retries_of_a_herd() {
    let f = jitter::main();
    // In step: 80, 60 and 40 clients retry at the same instants; 20 give up.
    assert_eq!(f.in_step.retries_per_second, [0, 80, 0, 60, 0, 0, 0, 40]);
    assert_eq!((f.in_step.busiest_100ms, f.in_step.gave_up), (80, 20));
    // Jittered: no 100 ms gets more retries than the service takes, and
    // every client is served.
    assert!(f.jittered.busiest_100ms <= 20, "{:?}", f.jittered);
    assert_eq!(f.jittered.gave_up, 0);
    assert!(f.jittered.took < f.in_step.took);
    // `seed_jitter` makes the draws, and so the whole run, repeat. (The
    // herds' figures are the example's own, not the library's global ones,
    // so a second run in this process is comparable.)
    // The tutorial's additive jitter: never sooner than the schedule, so
    // no retry in the first second, and fewer at once than in step.
    assert_eq!(f.additive.retries_per_second[0], 0);
    assert!(
        f.additive.busiest_100ms < f.in_step.busiest_100ms,
        "{:?}",
        f.additive
    );
    let again = jitter::main();
    assert_eq!(
        (again.in_step, again.jittered, again.additive),
        (f.in_step, f.jittered, f.additive)
    );
}

#[test]
fn partial_success_keeps_every_receipt_once() {
    let f = partial_success::main();
    assert_eq!(f.success_rate, 8.0 / 12.0);
    let read: Vec<_> = f
        .successes
        .iter()
        .map(|(r, cents)| (r.id, *cents))
        .collect();
    assert_eq!(
        read,
        [
            (1, 1250),
            (2, 899),
            (3, 2310),
            (5, 475),
            (6, 1999),
            (8, 725),
            (10, 3140),
            (12, 505)
        ]
    );
    let failed: Vec<_> = f.failures.iter().map(|(r, _)| r.id).collect();
    assert_eq!(failed, [4, 7, 9, 11]);
    let panicked = ItemError::Panicked("called `Option::unwrap()` on a `None` value".into());
    assert_eq!(f.failures[2].1, panicked);
    assert_eq!(f.progress.len(), 12);
    assert_eq!(f.progress.matches('x').count(), 4);
}

#[test]
fn metrics_add_up() {
    let f = metrics::main();
    let names: Vec<_> = f.functions.iter().map(|m| m.name.to_string()).collect();
    assert_eq!(names, ["ocr_extract", "summarize", "store_result"]);
    let [ocr, summarize, store] = [0, 1, 2].map(|i| f.functions[i].clone());
    assert_eq!(ocr.calls, 40);
    // Each step runs for the receipts the step before it served.
    assert_eq!(summarize.calls, ocr.successes);
    assert_eq!(store.calls, summarize.successes);
    for m in &f.functions {
        assert_eq!(m.calls, m.successes + m.failures);
        assert_eq!(m.attempts, m.calls + m.retries);
        assert_eq!(m.avg_attempts(), m.attempts as f64 / m.calls as f64);
    }
    // The outage opened the OCR's breaker; both count its refusals.
    assert!(f.breaker.opened >= 1);
    assert_eq!(f.breaker.state, State::Closed);
    assert_eq!(f.breaker.rejections, ocr.rejections);
    assert!(ocr.retry_rate() > 0.5, "{ocr:?}");
    // Every call timed; the OCR's last failure kept, as displayed.
    for m in &f.functions {
        assert_eq!(m.latency.unwrap().count, m.calls);
    }
    assert!(
        ocr.last_error.as_deref().unwrap().contains("ocr_extract"),
        "{ocr:?}"
    );
}

#[test]
fn build_resilient_pipeline_runs_the_tutorials_policies_through_the_executor() {
    let f = build_resilient_pipeline::main();
    let served: Vec<_> = f
        .results
        .iter()
        .map(|r| {
            r.as_ref()
                .map(|t| t.split(':').next().unwrap())
                .map_err(String::as_str)
        })
        .collect();
    let (gpt, claude, local) = (Ok("gpt4_vision"), Ok("claude_vision"), Ok("local_ocr"));
    assert_eq!(
        served,
        [
            gpt,
            gpt,
            claude,
            claude,
            local,
            local,
            gpt,
            Err("local_ocr: 503 service unavailable")
        ]
    );
    // Three retries, 2 s, 4 s and 8 s after each 100 ms attempt.
    assert_eq!(
        f.tesseract_attempts,
        [ms(0), ms(2_100), ms(6_200), ms(14_300)]
    );
    // Every tool counted under its own name; no retry on the vision chain.
    let calls: Vec<_> = f.calls.iter().map(|(n, c)| (n.as_str(), *c)).collect();
    assert_eq!(
        calls,
        [
            ("gpt4_vision", 8),
            ("claude_vision", 5),
            ("local_ocr", 3),
            ("tesseract_ocr", 1)
        ]
    );
}
