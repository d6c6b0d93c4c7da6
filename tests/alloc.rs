//! The success path allocates nothing: a counting allocator sees no
//! allocation while an annotated call that succeeds at once is running.
//! And a per-key breaker stays small: the heap a function holds per key
//! is bounded.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::ServiceError;
use resilient_async::{circuit_breaker, retry, timeout};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    /// Bytes allocated less bytes freed on this thread.
    static LIVE: Cell<i64> = const { Cell::new(0) };
}

fn live(delta: usize, sign: i64) {
    let delta = i64::try_from(delta).unwrap_or(i64::MAX);
    // `try_with`: the allocator also runs while thread-locals are torn down.
    let _ = LIVE.try_with(|l| l.set(l.get() + sign * delta));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|a| a.set(a.get() + 1));
        live(layout.size(), 1);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        live(layout.size(), -1);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|a| a.set(a.get() + 1));
        live(new_size, 1);
        live(layout.size(), -1);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(|a| a.get())
}

#[retry(max = 3, backoff = "100ms", jitter)]
async fn retried(x: u64) -> Result<u64, ServiceError> {
    Ok(std::hint::black_box(x))
}

#[retry(max = 3, timeout = "1s", timeout_factor = 2.0, deadline = "10s")]
async fn retried_with_time_limits(x: u64) -> Result<u64, ServiceError> {
    Ok(std::hint::black_box(x))
}

#[timeout("1s")]
async fn timed(x: u64) -> Result<u64, ServiceError> {
    Ok(std::hint::black_box(x))
}

#[retry(max = 2)]
#[timeout("1s")]
async fn stacked(x: u64) -> Result<u64, ServiceError> {
    Ok(std::hint::black_box(x))
}

#[circuit_breaker(threshold = 5)]
async fn guarded(x: u64) -> Result<u64, ServiceError> {
    Ok(std::hint::black_box(x))
}

#[circuit_breaker(failure_rate = 0.5, window = 100, slow_call = "1s")]
async fn guarded_by_rate(x: u64) -> Result<u64, ServiceError> {
    Ok(std::hint::black_box(x))
}

#[retry(max = 2)]
#[circuit_breaker(threshold = 5)]
#[timeout("1s")]
async fn full_stack(x: u64) -> Result<u64, ServiceError> {
    Ok(std::hint::black_box(x))
}

#[tokio::test]
async fn success_path_allocates_nothing() {
    // The first call of each function lists its metrics once; warm up.
    let _ = retried(1).await;
    let _ = retried_with_time_limits(1).await;
    let _ = timed(1).await;
    let _ = stacked(1).await;
    // A rate window allocates its ring once, on the first call.
    let _ = guarded(1).await;
    let _ = guarded_by_rate(1).await;
    let _ = full_stack(1).await;

    let before = allocations();
    for i in 0..1000 {
        assert_eq!(retried(i).await, Ok(i));
    }
    assert_eq!(allocations() - before, 0, "#[retry]");

    let before = allocations();
    for i in 0..1000 {
        assert_eq!(retried_with_time_limits(i).await, Ok(i));
    }
    assert_eq!(allocations() - before, 0, "#[retry(timeout, deadline)]");

    let before = allocations();
    for i in 0..1000 {
        assert_eq!(timed(i).await, Ok(i));
    }
    assert_eq!(allocations() - before, 0, "#[timeout]");

    let before = allocations();
    for i in 0..1000 {
        assert_eq!(stacked(i).await, Ok(i));
    }
    assert_eq!(allocations() - before, 0, "#[retry] + #[timeout]");

    let before = allocations();
    for i in 0..1000 {
        assert_eq!(guarded(i).await, Ok(i));
    }
    assert_eq!(allocations() - before, 0, "#[circuit_breaker]");

    let before = allocations();
    for i in 0..1000 {
        assert_eq!(guarded_by_rate(i).await, Ok(i));
    }
    assert_eq!(
        allocations() - before,
        0,
        "#[circuit_breaker(failure_rate, slow_call)]"
    );

    let before = allocations();
    for i in 0..1000 {
        assert_eq!(full_stack(i).await, Ok(i));
    }
    assert_eq!(
        allocations() - before,
        0,
        "#[retry] + #[circuit_breaker] + #[timeout]"
    );
}

#[tokio::test]
async fn the_counter_sees_allocations() {
    let before = allocations();
    let v = std::hint::black_box(vec![1u8; 64]);
    assert_eq!(allocations() - before, 1);
    drop(v);
}

#[circuit_breaker(key = tenant, max_keys = 10_000)]
async fn per_tenant(tenant: &str) -> Result<u64, ServiceError> {
    Ok(std::hint::black_box(tenant.len() as u64))
}

#[tokio::test]
async fn a_per_key_breaker_holds_little_memory() {
    let names: Vec<String> = (0..10_000).map(|k| format!("tenant-{k}")).collect();
    // The first key also lists the function and makes its map.
    let _ = per_tenant("warm-up").await;
    let before = LIVE.with(Cell::get);
    for name in &names {
        assert_eq!(per_tenant(name).await, Ok(name.len() as u64));
    }
    let per_key = (LIVE.with(Cell::get) - before) / 10_000;
    // The breaker's state (about 200 bytes: its name and policy are shared
    // by every key), its `Arc` and its map entry; its own policy would add
    // 320 bytes, striped counters 4 KiB.
    assert!(
        per_key <= 256,
        "{per_key} bytes per key: issue 13 asks for at most 256"
    );
}
