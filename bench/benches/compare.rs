//! `resilient` side by side with the plain call and with its peers, in one
//! run, as ratios. Run with `cargo bench --bench compare`; name groups to run
//! only those (`cargo bench --bench compare -- success contention`), and set
//! `BENCH_QUICK=1` for a short, rough run.
//!
//! 1. success: one call that succeeds at once, on a current-thread runtime.
//! 2. contention: a closed breaker shared by 1 and 2 threads.
//! 3. failure: fail, fail, succeed, under a paused clock.
//! 4. allocations per call: a column of every table.
//! 5. sizes: the future each function returns.
//! 8. memory: what an annotated function and a per-key breaker hold.

mod harness;

use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::io;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use harness::{compare, live_bytes, Case, Counting, Settings};
use resilient_async::circuit_breaker::{BreakerConfig, BreakerPolicy, CircuitBreaker};
use resilient_async::{circuit_breaker, retry, timeout};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Polls a future that completes at once (the success path never waits).
#[inline(always)]
fn now<F: Future>(f: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(f).poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => unreachable!("the success path does not wait"),
    }
}

// ---- the functions under test -------------------------------------------

async fn plain(x: u64) -> io::Result<u64> {
    Ok(black_box(x))
}

#[retry]
async fn with_retry(x: u64) -> io::Result<u64> {
    Ok(black_box(x))
}

#[circuit_breaker]
async fn with_breaker(x: u64) -> io::Result<u64> {
    Ok(black_box(x))
}

#[circuit_breaker(key = tenant, max_keys = 100_000)]
async fn per_tenant(tenant: &str, x: u64) -> io::Result<u64> {
    Ok(black_box(x))
}

#[timeout("1s")]
async fn with_timeout(x: u64) -> io::Result<u64> {
    Ok(black_box(x))
}

#[retry]
#[circuit_breaker]
#[timeout("1s")]
async fn full_stack(x: u64) -> io::Result<u64> {
    Ok(black_box(x))
}

// ---- the peers, as their documentation shows ----------------------------

/// tower's retry policy from its documentation: a number of attempts.
#[derive(Clone)]
struct Attempts(usize);

impl<E> tower::retry::Policy<u64, u64, E> for Attempts {
    type Future = std::future::Ready<()>;
    fn retry(&mut self, _: &mut u64, result: &mut Result<u64, E>) -> Option<Self::Future> {
        match result {
            Ok(_) => None,
            Err(_) if self.0 > 0 => {
                self.0 -= 1;
                Some(std::future::ready(()))
            }
            Err(_) => None,
        }
    }
    fn clone_request(&mut self, req: &u64) -> Option<u64> {
        Some(*req)
    }
}

/// The same with a backoff between attempts, for the failure path.
#[derive(Clone)]
struct BackoffAttempts {
    left: usize,
    delay: Duration,
}

impl<E> tower::retry::Policy<&Cell<u32>, u32, E> for BackoffAttempts {
    type Future = tokio::time::Sleep;
    fn retry(&mut self, _: &mut &Cell<u32>, result: &mut Result<u32, E>) -> Option<Self::Future> {
        match result {
            Err(_) if self.left > 0 => {
                self.left -= 1;
                let sleep = tokio::time::sleep(self.delay);
                self.delay *= 2;
                Some(sleep)
            }
            _ => None,
        }
    }
    fn clone_request<'a>(&mut self, req: &&'a Cell<u32>) -> Option<&'a Cell<u32>> {
        Some(*req)
    }
}

fn current_thread(paused: bool) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(paused)
        .build()
        .unwrap()
}

fn success(settings: &Settings) {
    use backon::Retryable;
    use failsafe::futures::CircuitBreaker as _;
    use tower::{Service, ServiceExt};

    let rt = current_thread(false);
    let _entered = rt.enter();
    let mut tower_svc = tower::ServiceBuilder::new()
        .layer(tower::retry::RetryLayer::new(Attempts(3)))
        .service_fn(|x: u64| async move { Ok::<_, io::Error>(black_box(x)) });
    let failsafe_cb = failsafe::Config::new().build();
    let recloser = recloser::AsyncRecloser::from(recloser::Recloser::custom().build());

    compare(
        "1. Success path: one call that succeeds at once (current-thread runtime)",
        settings,
        vec![
            Case::new("plain `async fn`", |n| {
                for i in 0..n {
                    black_box(now(plain(black_box(i))).unwrap());
                }
            }),
            Case::new("`#[retry]`", |n| {
                for i in 0..n {
                    black_box(now(with_retry(black_box(i))).unwrap());
                }
            }),
            Case::new("`#[circuit_breaker]`", |n| {
                for i in 0..n {
                    black_box(now(with_breaker(black_box(i))).unwrap());
                }
            }),
            Case::new("`#[timeout]`", |n| {
                for i in 0..n {
                    black_box(now(with_timeout(black_box(i))).unwrap());
                }
            }),
            Case::new("retry + breaker + timeout", |n| {
                for i in 0..n {
                    black_box(now(full_stack(black_box(i))).unwrap());
                }
            }),
            Case::new("tower retry layer", |n| {
                for i in 0..n {
                    let svc = now(tower_svc.ready()).unwrap();
                    black_box(now(svc.call(black_box(i))).unwrap());
                }
            }),
            Case::new("tokio-retry", |n| {
                for i in 0..n {
                    let strategy = tokio_retry::strategy::ExponentialBackoff::from_millis(10)
                        .map(tokio_retry::strategy::jitter)
                        .take(3);
                    let x = black_box(i);
                    let call = tokio_retry::Retry::start(strategy, || async move {
                        Ok::<_, io::Error>(black_box(x))
                    });
                    black_box(now(call).unwrap());
                }
            }),
            Case::new("backon", |n| {
                for i in 0..n {
                    let x = black_box(i);
                    let call = (|| async move { Ok::<_, io::Error>(black_box(x)) })
                        .retry(backon::ExponentialBuilder::default());
                    black_box(now(call).unwrap());
                }
            }),
            Case::new("failsafe", |n| {
                for i in 0..n {
                    let x = black_box(i);
                    let call = failsafe_cb.call(async move { Ok::<_, io::Error>(black_box(x)) });
                    black_box(now(call).unwrap());
                }
            }),
            Case::new("recloser", |n| {
                for i in 0..n {
                    let x = black_box(i);
                    let call = recloser.call(async move { Ok::<_, io::Error>(black_box(x)) });
                    black_box(now(call).unwrap());
                }
            }),
        ],
    );
}

/// The success path as an application sees it: each call awaited in an
/// `async` block run by a current-thread runtime (one `block_on` per batch),
/// so the call's future is built and moved into the caller's state, and the
/// attempt context is set on each poll.
fn awaited(settings: &Settings) {
    use backon::Retryable;
    use failsafe::futures::CircuitBreaker as _;
    use tower::{Service, ServiceExt};

    let rt = current_thread(false);
    let mut tower_svc = tower::ServiceBuilder::new()
        .layer(tower::retry::RetryLayer::new(Attempts(3)))
        .service_fn(|x: u64| async move { Ok::<_, io::Error>(black_box(x)) });
    let failsafe_cb = failsafe::Config::new().build();
    let recloser = recloser::AsyncRecloser::from(recloser::Recloser::custom().build());
    let rt = &rt;
    // One batch: `n` calls of `$call(i)`, each awaited.
    macro_rules! awaits {
        ($name:expr, |$i:ident| $call:expr) => {
            Case::new($name, move |n| {
                rt.block_on(async {
                    for $i in 0..n {
                        let $i = black_box($i);
                        black_box($call.await.unwrap());
                    }
                })
            })
        };
    }
    let tower_svc = &mut tower_svc;
    compare(
        "0. Success path, awaited as an application does (current-thread runtime)",
        settings,
        vec![
            awaits!("plain `async fn`", |i| plain(i)),
            awaits!("`#[retry]`", |i| with_retry(i)),
            awaits!("`#[circuit_breaker]`", |i| with_breaker(i)),
            awaits!("`#[circuit_breaker(key = tenant)]`", |i| per_tenant(
                black_box("tenant-7"),
                i
            )),
            awaits!("`#[timeout]`", |i| with_timeout(i)),
            awaits!("retry + breaker + timeout", |i| full_stack(i)),
            awaits!("tokio::time::timeout", |i| async move {
                tokio::time::timeout(Duration::from_secs(1), plain(i))
                    .await
                    .unwrap()
            }),
            Case::new("tower retry layer", |n| {
                rt.block_on(async {
                    for i in 0..n {
                        let svc = tower_svc.ready().await.unwrap();
                        black_box(svc.call(black_box(i)).await.unwrap());
                    }
                })
            }),
            awaits!("tokio-retry", |i| {
                let strategy = tokio_retry::strategy::ExponentialBackoff::from_millis(10)
                    .map(tokio_retry::strategy::jitter)
                    .take(3);
                tokio_retry::Retry::start(strategy, move || async move {
                    Ok::<_, io::Error>(black_box(i))
                })
            }),
            awaits!("backon", |i| (move || async move {
                Ok::<_, io::Error>(black_box(i))
            })
            .retry(backon::ExponentialBuilder::default())),
            awaits!("failsafe", |i| failsafe_cb
                .call(async move { Ok::<_, io::Error>(black_box(i)) })),
            awaits!("recloser", |i| recloser
                .call(async move { Ok::<_, io::Error>(black_box(i)) })),
        ],
    );
}

const POLICY: BreakerPolicy = match BreakerConfig::new().build() {
    Ok(p) => p,
    Err(_) => panic!(),
};
static SHARED: CircuitBreaker = CircuitBreaker::new("shared", POLICY);
static FLOOR: AtomicU64 = AtomicU64::new(0);

/// Runs `call` `n` times on each of `threads` threads at once.
fn on_threads(threads: usize, n: u64, call: &(dyn Fn(u64) + Sync)) {
    let start = std::sync::Barrier::new(threads);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                start.wait();
                for i in 0..n {
                    call(i);
                }
            });
        }
    });
}

fn contention(settings: &Settings) {
    use failsafe::futures::CircuitBreaker as _;

    let failsafe_cb = failsafe::Config::new().build();
    let recloser = recloser::AsyncRecloser::from(recloser::Recloser::custom().build());
    for threads in [1, 2] {
        let failsafe_cb = &failsafe_cb;
        let recloser = &recloser;
        compare(
            &format!(
                "2. A closed breaker shared by {threads} thread(s): time per call on each thread"
            ),
            settings,
            vec![
                Case::threaded("shared atomic `fetch_add` (the floor)", move |n| {
                    on_threads(threads, n, &|_| {
                        FLOOR.fetch_add(1, Relaxed);
                    })
                }),
                Case::threaded("`#[circuit_breaker]` (with metrics)", move |n| {
                    on_threads(threads, n, &|i| {
                        black_box(now(with_breaker(black_box(i))).unwrap());
                    })
                }),
                Case::threaded("`#[circuit_breaker(key = tenant)]`, one tenant", move |n| {
                    on_threads(threads, n, &|i| {
                        black_box(now(per_tenant(black_box("tenant-7"), black_box(i))).unwrap());
                    })
                }),
                Case::threaded("`CircuitBreaker::call`", move |n| {
                    on_threads(threads, n, &|i| {
                        let call = SHARED.call(async move { Ok::<_, io::Error>(black_box(i)) });
                        black_box(now(call).unwrap());
                    })
                }),
                Case::threaded("failsafe", move |n| {
                    on_threads(threads, n, &|i| {
                        let call =
                            failsafe_cb.call(async move { Ok::<_, io::Error>(black_box(i)) });
                        black_box(now(call).unwrap());
                    })
                }),
                Case::threaded("recloser", move |n| {
                    on_threads(threads, n, &|i| {
                        let call = recloser.call(async move { Ok::<_, io::Error>(black_box(i)) });
                        black_box(now(call).unwrap());
                    })
                }),
            ],
        );
    }
}

/// Fails twice, then succeeds.
fn flaky(state: &Cell<u32>) -> io::Result<u32> {
    let n = state.get();
    state.set(n + 1);
    if n < 2 {
        Err(io::ErrorKind::ConnectionReset.into())
    } else {
        Ok(n)
    }
}

async fn hand_written(state: &Cell<u32>) -> io::Result<u32> {
    let mut delay = Duration::from_millis(10);
    let mut retries = 0;
    loop {
        match flaky(state) {
            Err(_) if retries < 3 => {
                tokio::time::sleep(delay).await;
                delay *= 2;
                retries += 1;
            }
            out => return out,
        }
    }
}

#[retry(max = 3, backoff = "10ms")]
async fn ours_flaky(state: &Cell<u32>) -> io::Result<u32> {
    flaky(state)
}

fn failure(settings: &Settings) {
    use backon::Retryable;
    use tower::{Service, ServiceExt};

    let rt = current_thread(true);
    compare(
        "3. Failure path: fail, fail, succeed, with backoff, under a paused clock",
        settings,
        vec![
            Case::new("hand-written loop", |n| {
                rt.block_on(async {
                    for _ in 0..n {
                        let state = Cell::new(0);
                        black_box(hand_written(&state).await.unwrap());
                    }
                })
            }),
            Case::new("`#[retry]`", |n| {
                rt.block_on(async {
                    for _ in 0..n {
                        let state = Cell::new(0);
                        black_box(ours_flaky(&state).await.unwrap());
                    }
                })
            }),
            Case::new("tokio-retry", |n| {
                rt.block_on(async {
                    for _ in 0..n {
                        let state = Cell::new(0);
                        let strategy =
                            tokio_retry::strategy::ExponentialBackoff::from_millis(10).take(3);
                        let call = tokio_retry::Retry::start(strategy, || {
                            std::future::ready(flaky(&state))
                        });
                        black_box(call.await.unwrap());
                    }
                })
            }),
            Case::new("backon", |n| {
                rt.block_on(async {
                    for _ in 0..n {
                        let state = Cell::new(0);
                        let call = (|| std::future::ready(flaky(&state))).retry(
                            backon::ExponentialBuilder::default()
                                .with_min_delay(Duration::from_millis(10))
                                .with_max_times(3),
                        );
                        black_box(call.await.unwrap());
                    }
                })
            }),
            Case::new("tower retry layer", |n| {
                rt.block_on(async {
                    for _ in 0..n {
                        let state = Cell::new(0);
                        let mut svc = tower::ServiceBuilder::new()
                            .layer(tower::retry::RetryLayer::new(BackoffAttempts {
                                left: 3,
                                delay: Duration::from_millis(10),
                            }))
                            .service_fn(|s: &Cell<u32>| std::future::ready(flaky(s)));
                        let svc = svc.ready().await.unwrap();
                        black_box(svc.call(&state).await.unwrap());
                    }
                })
            }),
        ],
    );
}

fn sizes() {
    async fn plain_args(image: &[u8], name: &str, page: u32) -> io::Result<usize> {
        Ok(image.len() + name.len() + page as usize)
    }
    #[retry]
    #[circuit_breaker]
    #[timeout("1s")]
    async fn stacked_args(image: &[u8], name: &str, page: u32) -> io::Result<usize> {
        Ok(image.len() + name.len() + page as usize)
    }
    async fn plain_owned(name: String) -> io::Result<usize> {
        Ok(name.len())
    }
    #[retry]
    async fn retried_owned(name: String) -> io::Result<usize> {
        Ok(name.len())
    }
    let rows = [
        ("plain `async fn f(x: u64)`", size_of_val(&plain(1))),
        ("`#[retry]`", size_of_val(&with_retry(1))),
        ("`#[circuit_breaker]`", size_of_val(&with_breaker(1))),
        ("`#[timeout]`", size_of_val(&with_timeout(1))),
        ("retry + breaker + timeout", size_of_val(&full_stack(1))),
        (
            "plain, three borrowed arguments",
            size_of_val(&plain_args(b"", "", 1)),
        ),
        (
            "retry + breaker + timeout, the same arguments",
            size_of_val(&stacked_args(b"", "", 1)),
        ),
        (
            "plain, one owned `String`",
            size_of_val(&plain_owned(String::new())),
        ),
        (
            "`#[retry]`, one owned `String` (cloned per attempt)",
            size_of_val(&retried_owned(String::new())),
        ),
    ];
    println!("\n### 5. The size of the returned future\n");
    println!("| function | bytes |");
    println!("|---|---:|");
    for (name, bytes) in rows {
        println!("| {name} | {bytes} |");
    }
}

/// Heap bytes held after `f` runs, less those held before.
fn held(f: impl FnOnce()) -> u64 {
    let before = live_bytes();
    f();
    live_bytes().saturating_sub(before)
}

fn memory() {
    let rt = current_thread(false);
    #[retry]
    async fn fresh_retry(x: u64) -> io::Result<u64> {
        Ok(x)
    }
    #[circuit_breaker]
    async fn fresh_breaker(x: u64) -> io::Result<u64> {
        Ok(x)
    }
    #[retry]
    #[circuit_breaker]
    #[timeout("1s")]
    async fn fresh_stack(x: u64) -> io::Result<u64> {
        Ok(x)
    }
    #[circuit_breaker(key = tenant, max_keys = 100_000)]
    async fn fresh_keyed(tenant: &str, x: u64) -> io::Result<u64> {
        Ok(x)
    }
    #[circuit_breaker(key = tenant, max_keys = 100_000, failure_rate = 0.5, window = "10s")]
    async fn fresh_keyed_by_rate(tenant: &str, x: u64) -> io::Result<u64> {
        Ok(x)
    }
    const KEYS: u64 = 100_000;
    let names: Vec<String> = (0..KEYS).map(|k| format!("tenant-{k}")).collect();
    let per_key = |call: &dyn Fn(&str)| {
        // The first key also makes the map; count from the second.
        call("warm-up");
        held(|| names.iter().for_each(|n| call(n))) as f64 / KEYS as f64
    };
    let rows = [
        (
            "`#[retry]`: first call (its counters)",
            held(|| drop(rt.block_on(fresh_retry(1)))) as f64,
        ),
        (
            "`#[circuit_breaker]`: first call (function and breaker counters)",
            held(|| drop(rt.block_on(fresh_breaker(1)))) as f64,
        ),
        (
            "retry + breaker + timeout: first call",
            held(|| drop(rt.block_on(fresh_stack(1)))) as f64,
        ),
        (
            "`#[circuit_breaker(key = tenant)]`: per key, 100,000 keys",
            per_key(&|t| drop(rt.block_on(fresh_keyed(t, 1)))),
        ),
        (
            "the same, rate mode over a 10 s window: per key",
            per_key(&|t| drop(rt.block_on(fresh_keyed_by_rate(t, 1)))),
        ),
    ];
    println!("\n### 8. Memory held on the heap\n");
    println!("| what | bytes |");
    println!("|---|---:|");
    for (name, bytes) in rows {
        println!("| {name} | {bytes:.0} |");
    }
}

fn main() {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted =
        |group: &str| filters.is_empty() || filters.iter().any(|f| group.contains(f.as_str()));
    let settings = Settings::from_env();
    println!(
        "{} rounds of {:?} batches per case; ratios are medians of per-round ratios.",
        settings.rounds, settings.batch
    );
    if wanted("awaited") {
        awaited(&settings);
    }
    if wanted("success") {
        success(&settings);
    }
    if wanted("contention") {
        contention(&settings);
    }
    if wanted("failure") {
        failure(&settings);
    }
    if wanted("sizes") {
        sizes();
    }
    if wanted("memory") {
        memory();
    }
}
