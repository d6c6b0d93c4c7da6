//! A side-by-side harness. Each group runs its baseline and its cases in
//! interleaved rounds (baseline, case 1, case 2, ..., then again, starting
//! one further along), so that the drift of a shared, noisy machine falls on
//! all of them alike; each case's ratio is the median of its per-round
//! ratios to the baseline. criterion and divan time one benchmark after
//! another and report absolute times, which is what a noisy machine spoils.
//!
//! Heap allocations are counted by a global allocator, on one thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

pub struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
/// Bytes allocated and not freed, as requested (the allocator's own
/// rounding not included).
static LIVE: AtomicU64 = AtomicU64::new(0);

/// Bytes held on the heap now.
pub fn live_bytes() -> u64 {
    LIVE.load(Relaxed)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        LIVE.fetch_add(layout.size() as u64, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as u64, Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        LIVE.fetch_add(new_size as u64, Relaxed);
        LIVE.fetch_sub(layout.size() as u64, Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// One measured thing: `run(n)` makes `n` calls.
pub struct Case<'a> {
    pub name: String,
    run: Box<dyn FnMut(u64) + 'a>,
    /// Whether to count allocations (single-threaded cases only).
    count_allocations: bool,
}

impl<'a> Case<'a> {
    pub fn new(name: impl Into<String>, run: impl FnMut(u64) + 'a) -> Self {
        Case {
            name: name.into(),
            run: Box::new(run),
            count_allocations: true,
        }
    }

    /// A case whose calls run on several threads: allocations are not
    /// counted.
    pub fn threaded(name: impl Into<String>, run: impl FnMut(u64) + 'a) -> Self {
        Case {
            count_allocations: false,
            ..Case::new(name, run)
        }
    }
}

pub struct Settings {
    pub rounds: usize,
    pub batch: Duration,
}

impl Settings {
    pub fn from_env() -> Settings {
        let quick = std::env::var_os("BENCH_QUICK").is_some();
        Settings {
            rounds: if quick { 5 } else { 41 },
            batch: Duration::from_millis(if quick { 2 } else { 10 }),
        }
    }
}

fn time(run: &mut dyn FnMut(u64), n: u64) -> f64 {
    let start = Instant::now();
    run(n);
    start.elapsed().as_nanos() as f64 / n as f64
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// Runs the group and prints it as a Markdown table; the first case is the
/// baseline.
pub fn compare(title: &str, settings: &Settings, mut cases: Vec<Case<'_>>) {
    // Warm up, and find how many calls fill a batch.
    let mut sizes = Vec::new();
    for case in &mut cases {
        (case.run)(100);
        let mut n = 16u64;
        loop {
            let per = time(&mut *case.run, n);
            if per * n as f64 >= settings.batch.as_nanos() as f64 / 4.0 {
                let fill = (settings.batch.as_nanos() as f64 / per.max(0.01)) as u64;
                sizes.push(fill.max(1));
                break;
            }
            n *= 4;
        }
    }
    let k = cases.len();
    let mut samples = vec![Vec::with_capacity(settings.rounds); k];
    for round in 0..settings.rounds {
        for i in 0..k {
            let c = (round + i) % k;
            samples[c].push(time(&mut *cases[c].run, sizes[c]));
        }
    }
    let mut allocations = Vec::new();
    for case in &mut cases {
        if case.count_allocations {
            let before = ALLOCATIONS.load(Relaxed);
            (case.run)(1000);
            allocations.push(Some((ALLOCATIONS.load(Relaxed) - before) as f64 / 1000.0));
        } else {
            allocations.push(None);
        }
    }
    let base = median(&mut samples[0].clone());
    println!("\n### {title}\n");
    println!("| case | ns per call | overhead | ratio | allocations per call |");
    println!("|---|---:|---:|---:|---:|");
    for (i, case) in cases.iter().enumerate() {
        let mut ratios: Vec<f64> = samples[i]
            .iter()
            .zip(&samples[0])
            .map(|(c, b)| c / b)
            .collect();
        let t = median(&mut samples[i].clone());
        let alloc = allocations[i].map_or("–".to_string(), |a| format!("{a}"));
        if i == 0 {
            println!(
                "| {} (baseline) | {t:.2} | – | 1.00× | {alloc} |",
                case.name
            );
        } else {
            println!(
                "| {} | {t:.2} | {:+.2} ns | {:.2}× | {alloc} |",
                case.name,
                t - base,
                median(&mut ratios)
            );
        }
    }
    black_box(&samples);
}
