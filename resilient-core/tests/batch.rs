//! `batch`: partial success under a paused Tokio clock. Every input comes
//! back exactly once, in input order, with at most `concurrency` calls in
//! flight.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::Once;
use std::time::Duration;

use resilient_core::batch::{self, Outcomes, Progress};
use resilient_core::{Batch, ItemError};
use tokio::time::{sleep, Instant};

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Panics whose message starts with this are the tests' own: keep them out
/// of the output, and let every other panic through to the default hook.
const DELIBERATE: &str = "deliberate";

fn quiet_deliberate_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            if !message.is_some_and(|m| m.starts_with(DELIBERATE)) {
                default(info);
            }
        }));
    });
}

/// Counts calls in flight and remembers the most at once.
#[derive(Default)]
struct InFlight {
    now: Cell<usize>,
    max: Cell<usize>,
}

impl InFlight {
    async fn during<T>(&self, call: impl std::future::Future<Output = T>) -> T {
        self.now.set(self.now.get() + 1);
        self.max.set(self.max.get().max(self.now.get()));
        let out = call.await;
        self.now.set(self.now.get() - 1);
        out
    }
}

#[tokio::test(start_paused = true)]
async fn outcomes_keep_input_order_when_calls_finish_in_reverse() {
    let finished = RefCell::new(Vec::new());
    let t0 = Instant::now();
    let out = Batch::new(0..10_u64)
        .concurrency(10)
        .run(async |&n: &u64| {
            sleep(ms(100 - 10 * n)).await;
            finished.borrow_mut().push(n);
            if n % 2 == 0 {
                Ok(n * 100)
            } else {
                Err(format!("odd {n}"))
            }
        })
        .await;
    assert_eq!(*finished.borrow(), (0..10).rev().collect::<Vec<_>>());
    assert_eq!(Instant::now() - t0, ms(100));
    assert_eq!(
        out.successes(),
        &[(0, 0), (2, 200), (4, 400), (6, 600), (8, 800)]
    );
    let failed: Vec<(u64, String)> = out
        .failures()
        .iter()
        .map(|(n, e)| (*n, e.to_string()))
        .collect();
    assert_eq!(
        failed,
        [1, 3, 5, 7, 9].map(|n| (n, format!("odd {n}"))).to_vec()
    );
}

#[tokio::test(start_paused = true)]
async fn a_thousand_inputs_each_come_back_exactly_once() {
    quiet_deliberate_panics();
    const N: usize = 1000;
    let calls = RefCell::new(vec![0_u32; N]);
    let progress = Cell::new(0);
    // By n % 4: succeed, fail, panic while polled, panic when called.
    let out = Batch::new(0..N)
        .concurrency(16)
        .on_progress(|_| progress.set(progress.get() + 1))
        .run(|&n: &usize| {
            calls.borrow_mut()[n] += 1;
            if n % 4 == 3 {
                panic!("{DELIBERATE}: called {n}");
            }
            async move {
                sleep(ms((n % 7) as u64)).await;
                match n % 4 {
                    0 => Ok(n),
                    1 => Err(n),
                    _ => panic!("{DELIBERATE}: polled {n}"),
                }
            }
        })
        .await;

    assert!(
        calls.borrow().iter().all(|&c| c == 1),
        "each input called once"
    );
    assert_eq!(progress.get(), N);
    assert_eq!(out.len(), N);
    assert_eq!((out.success_count(), out.failure_count()), (250, 750));

    let ok: Vec<usize> = out.successes().iter().map(|&(n, _)| n).collect();
    assert_eq!(ok, (0..N).step_by(4).collect::<Vec<_>>());
    assert!(out.successes().iter().all(|&(n, v)| n == v));

    let (mut failed, mut polled, mut called) = (0, 0, 0);
    let mut inputs = Vec::new();
    for (n, e) in out.failures() {
        inputs.push(*n);
        match e {
            ItemError::Failed(m) if m == n && n % 4 == 1 => failed += 1,
            ItemError::Panicked(m) if *m == format!("{DELIBERATE}: polled {n}") => polled += 1,
            ItemError::Panicked(m) if *m == format!("{DELIBERATE}: called {n}") => called += 1,
            other => panic!("input {n}: unexpected {other:?}"),
        }
    }
    assert_eq!((failed, polled, called), (250, 250, 250));
    let expected: Vec<usize> = (0..N).filter(|n| n % 4 != 0).collect();
    assert_eq!(inputs, expected, "failures in input order, none lost");
}

#[tokio::test(start_paused = true)]
async fn never_more_than_concurrency_calls_in_flight() {
    let in_flight = InFlight::default();
    let t0 = Instant::now();
    let out = Batch::new(0..10)
        .concurrency(3)
        .run(async |_: &i32| {
            in_flight
                .during(async {
                    sleep(ms(10)).await;
                    Ok::<_, &str>(())
                })
                .await
        })
        .await;
    assert_eq!(out.success_count(), 10);
    assert_eq!(in_flight.max.get(), 3);
    assert_eq!(in_flight.now.get(), 0);
    // 10 calls of 10ms, 3 at a time: waves of 3, 3, 3 and 1.
    assert_eq!(Instant::now() - t0, ms(40));
}

#[tokio::test(start_paused = true)]
async fn a_freed_slot_takes_the_next_input_at_once() {
    let in_flight = InFlight::default();
    let started = RefCell::new(Vec::new());
    let t0 = Instant::now();
    let out = Batch::new([30, 10, 10, 10, 10])
        .concurrency(2)
        .run(async |&d: &u64| {
            started.borrow_mut().push(t0.elapsed());
            in_flight.during(sleep(ms(d))).await;
            Ok::<_, &str>(d)
        })
        .await;
    assert_eq!(out.success_count(), 5);
    assert_eq!(in_flight.max.get(), 2);
    // The 30ms call holds one slot while the four 10ms calls pass through
    // the other, back to back.
    assert_eq!(*started.borrow(), [ms(0), ms(0), ms(10), ms(20), ms(30)]);
    assert_eq!(Instant::now() - t0, ms(40));
}

#[tokio::test(start_paused = true)]
async fn progress_fires_once_per_input_counting_up() {
    let seen = RefCell::new(Vec::new());
    let out = Batch::new(0..50_u64)
        .concurrency(4)
        .on_progress(|p: Progress| seen.borrow_mut().push(p))
        .run(async |&n: &u64| {
            sleep(ms(n % 5)).await;
            if n % 3 == 0 {
                Err("multiple of three")
            } else {
                Ok(n)
            }
        })
        .await;
    let seen = seen.into_inner();
    assert_eq!(seen.len(), 50);
    assert!(seen.iter().map(|p| p.done).eq(1..=50));
    assert!(seen.iter().all(|p| p.total == 50));
    let succeeded = seen.iter().filter(|p| p.succeeded).count();
    assert_eq!(succeeded, out.success_count());
    assert_eq!(out.failure_count(), 17);
}

#[tokio::test(start_paused = true)]
async fn an_empty_batch_calls_nothing() {
    let calls = Cell::new(0);
    let progress = Cell::new(0);
    let t0 = Instant::now();
    let out: Outcomes<u8, (), &str> = Batch::new(Vec::new())
        .concurrency(4)
        .on_progress(|_| progress.set(progress.get() + 1))
        .run(async |_: &u8| {
            calls.set(calls.get() + 1);
            Ok(())
        })
        .await;
    assert_eq!((calls.get(), progress.get()), (0, 0));
    assert!(out.is_empty());
    assert_eq!(out.len(), 0);
    assert_eq!(out.success_rate(), 1.0);
    assert_eq!(out.into_parts(), (vec![], vec![]));
    assert_eq!(Instant::now(), t0);
}

#[tokio::test(start_paused = true)]
async fn concurrency_beyond_the_inputs_runs_them_all_at_once() {
    let in_flight = InFlight::default();
    let t0 = Instant::now();
    let out = batch::run(0..5, 100, async |&n: &i32| {
        in_flight.during(sleep(ms(10))).await;
        Ok::<_, &str>(n)
    })
    .await;
    assert_eq!(out.successes(), &[(0, 0), (1, 1), (2, 2), (3, 3), (4, 4)]);
    assert_eq!(in_flight.max.get(), 5);
    assert_eq!(Instant::now() - t0, ms(10));
}

#[tokio::test(start_paused = true)]
async fn concurrency_zero_counts_as_one() {
    let in_flight = InFlight::default();
    let t0 = Instant::now();
    let out = batch::run(0..4, 0, async |_: &i32| {
        in_flight.during(sleep(ms(10))).await;
        Ok::<_, &str>(())
    })
    .await;
    assert_eq!(out.success_count(), 4);
    assert_eq!(in_flight.max.get(), 1);
    assert_eq!(Instant::now() - t0, ms(40));
}

#[tokio::test(start_paused = true)]
async fn success_rate_is_the_share_that_succeeded() {
    async fn rate(inputs: &[bool]) -> f64 {
        batch::run(
            inputs.to_vec(),
            2,
            async |&ok: &bool| {
                if ok {
                    Ok(())
                } else {
                    Err("no")
                }
            },
        )
        .await
        .success_rate()
    }
    assert_eq!(rate(&[]).await, 1.0);
    assert_eq!(rate(&[false; 4]).await, 0.0);
    assert_eq!(rate(&[true; 4]).await, 1.0);
    assert_eq!(rate(&[true, false, false, false]).await, 0.25);
    assert_eq!(rate(&[true, true, false]).await, 2.0 / 3.0);
}

#[tokio::test(start_paused = true)]
async fn a_panic_fails_its_input_with_the_message() {
    quiet_deliberate_panics();
    let out = batch::run(0..4, 4, async |&n: &i32| {
        sleep(ms(5)).await;
        match n {
            0 => panic!("{DELIBERATE}"),
            1 => panic!("{DELIBERATE}: input {n}"),
            2 => std::panic::panic_any(DELIBERATE.len()),
            _ => Ok::<_, String>(n),
        }
    })
    .await;
    assert_eq!(out.successes(), &[(3, 3)]);
    let errors: Vec<String> = out.failures().iter().map(|(_, e)| e.to_string()).collect();
    assert_eq!(
        errors,
        [
            "panicked: deliberate",
            "panicked: deliberate: input 1",
            "panicked: Box<dyn Any>",
        ]
    );
}

struct Receipt {
    id: u32,
    cents: u64,
}

#[derive(Debug, PartialEq)]
struct Declined(u32);

impl fmt::Display for Declined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "receipt {} declined", self.0)
    }
}

async fn charge(r: &Receipt) -> Result<u64, Declined> {
    sleep(ms(r.cents)).await;
    // The future keeps its borrow of the input across the wait.
    if r.cents > 100 {
        Err(Declined(r.id))
    } else {
        Ok(r.cents)
    }
}

fn receipts() -> Vec<Receipt> {
    (1..=4)
        .map(|id| Receipt {
            id,
            cents: u64::from(id) * 40,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn an_async_fn_on_a_reference_passes_as_it_is() {
    let out = Batch::new(receipts()).concurrency(2).run(charge).await;
    let ok: Vec<(u32, u64)> = out.successes().iter().map(|(r, c)| (r.id, *c)).collect();
    assert_eq!(ok, [(1, 40), (2, 80)]);
    let (_, failed) = out.into_parts();
    let failed: Vec<_> = failed.into_iter().map(|(r, e)| (r.id, e)).collect();
    assert_eq!(
        failed,
        [
            (3, ItemError::Failed(Declined(3))),
            (4, ItemError::Failed(Declined(4)))
        ]
    );
}

#[test]
fn a_batch_of_send_inputs_and_calls_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let running = Batch::new(receipts())
        .concurrency(2)
        .on_progress(|_| {})
        .run(charge);
    assert_send(&running);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let out = rt.block_on(async { tokio::spawn(running).await.unwrap() });
    assert_eq!(out.len(), 4);
}
