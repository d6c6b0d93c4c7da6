//! Partial success: run many inputs through one async call, a few at a time,
//! and keep what succeeded apart from what failed.
//!
//! A [`Batch`] owns its inputs. It calls your function on each of them, with
//! at most [`concurrency`](Batch::concurrency) calls in flight, all inside the
//! caller's task (nothing is spawned, so nothing needs to be `'static` or
//! `Send`). Every input comes back exactly once in the [`Outcomes`], paired
//! with its value or its [`ItemError`], in input order. A panic in one call
//! fails that input only.
//!
//! ```
//! use resilient_core::Batch;
//!
//! struct Receipt { id: u32, cents: u64 }
//!
//! async fn charge(r: &Receipt) -> Result<u64, String> {
//!     if r.cents == 0 { Err(format!("receipt {} is empty", r.id)) } else { Ok(r.cents) }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let receipts = vec![Receipt { id: 1, cents: 250 }, Receipt { id: 2, cents: 0 }];
//! let out = Batch::new(receipts).concurrency(8).run(charge).await;
//! assert_eq!(out.success_rate(), 0.5);
//! let (charged, failed) = out.into_parts();
//! assert_eq!(charged[0].0.id, 1);
//! assert_eq!(failed[0].1.to_string(), "receipt 2 is empty");
//! # }
//! ```

use std::any::Any;
use std::error::Error;
use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::Poll;
use std::time::Duration;

use tokio::time::Instant;

/// Runs `f` on every input of `items`, at most `concurrency` at a time (0
/// counts as 1): shorthand for
/// `Batch::new(items).concurrency(concurrency).run(f)`.
///
/// ```
/// use resilient_core::batch;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let out = batch::run(1..=4, 2, async |n: &u32| {
///     if n % 2 == 0 { Ok(n * 10) } else { Err("odd") }
/// })
/// .await;
/// assert_eq!(out.successes(), &[(2, 20), (4, 40)]);
/// assert_eq!(out.failure_count(), 2);
/// # }
/// ```
pub fn run<I, F, T, E>(
    items: impl IntoIterator<Item = I>,
    concurrency: usize,
    f: F,
) -> impl Future<Output = Outcomes<I, T, E>>
where
    F: AsyncFn(&I) -> Result<T, E>,
    E: fmt::Display,
{
    Batch::new(items).concurrency(concurrency).run(f)
}

/// Inputs waiting to run through an async call: set how many calls may be in
/// flight and who hears of progress, then [`run`](Batch::run) it.
///
/// # Default
///
/// One call at a time (`concurrency(1)`), no progress callback.
///
/// ```
/// use resilient_core::Batch;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let out = Batch::new(["a", "bb", "ccc"])
///     .concurrency(2)
///     .on_progress(|p| println!("{}/{}", p.done, p.total))
///     .run(async |s: &&str| Ok::<_, String>(s.len()))
///     .await;
/// assert_eq!(out.successes(), &[("a", 1), ("bb", 2), ("ccc", 3)]);
/// # }
/// ```
#[must_use = "a batch does nothing until it is run and awaited"]
pub struct Batch<I, P = fn(Progress)> {
    items: Vec<I>,
    concurrency: usize,
    on_progress: P,
}

impl<I> Batch<I> {
    /// A batch of `items`, run one at a time until told otherwise.
    ///
    /// ```
    /// use resilient_core::Batch;
    ///
    /// let batch = Batch::new(vec![1, 2, 3]);
    /// # let _ = batch;
    /// ```
    pub fn new(items: impl IntoIterator<Item = I>) -> Self {
        Batch {
            items: items.into_iter().collect(),
            concurrency: 1,
            on_progress: |_| {},
        }
    }
}

impl<I, P> Batch<I, P> {
    /// At most `n` calls in flight at once; 0 counts as 1, so a batch always
    /// makes progress.
    ///
    /// Every call in flight is polled whenever any of them wakes, which is
    /// cheap for the tens to hundreds of calls a backend usually tolerates.
    ///
    /// ```
    /// use resilient_core::Batch;
    ///
    /// let batch = Batch::new(0..100).concurrency(8);
    /// # let _ = batch;
    /// ```
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Calls `on_progress` once per finished input, as it finishes (a
    /// progress bar, say). It replaces any earlier callback.
    ///
    /// ```
    /// use resilient_core::Batch;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut seen = Vec::new();
    /// Batch::new([1, 2])
    ///     .on_progress(|p| seen.push((p.done, p.total, p.succeeded)))
    ///     .run(async |n: &i32| if *n == 1 { Ok(()) } else { Err("no") })
    ///     .await;
    /// assert_eq!(seen, [(1, 2, true), (2, 2, false)]);
    /// # }
    /// ```
    pub fn on_progress<Q: FnMut(Progress)>(self, on_progress: Q) -> Batch<I, Q> {
        Batch {
            items: self.items,
            concurrency: self.concurrency,
            on_progress,
        }
    }

    /// Runs `f` on every input and gathers the outcomes.
    ///
    /// `f` receives each input by reference, and its future may keep that
    /// reference: the batch holds the inputs until every call has finished,
    /// then hands each back with its outcome. So `async fn charge(r:
    /// &Receipt)` can be passed as it is, as can an async closure
    /// `async |r: &Receipt| ...` or a closure returning a future that does
    /// not borrow the input (`|r: &Receipt| client.charge(r.id)`).
    ///
    /// A call that panics (when called or while polled) fails its input with
    /// [`ItemError::Panicked`]; the panic hook still runs, so the message is
    /// printed as usual. That needs `panic = "unwind"`, Rust's default.
    ///
    /// Each failure is reported as a `tracing` event at `warn` (target
    /// `resilient`, with the input's `index` and the error, hence `E:
    /// Display`), and the batch's totals as one event at `info` when it
    /// ends. Dropping the future before it ends drops the calls in flight
    /// and the outcomes so far.
    ///
    /// ```
    /// use resilient_core::{Batch, ItemError};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let out = Batch::new([2_u32, 0, 5])
    ///     .concurrency(2)
    ///     .run(async |n: &u32| match n {
    ///         0 => panic!("zero"),
    ///         n => Ok::<_, String>(100 / n),
    ///     })
    ///     .await;
    /// assert_eq!(out.successes(), &[(2, 50), (5, 20)]);
    /// assert_eq!(out.failures(), &[(0, ItemError::Panicked("zero".into()))]);
    /// # }
    /// ```
    pub async fn run<F, T, E>(self, f: F) -> Outcomes<I, T, E>
    where
        F: AsyncFn(&I) -> Result<T, E>,
        E: fmt::Display,
        P: FnMut(Progress),
    {
        let Batch {
            items,
            concurrency,
            on_progress,
        } = self;
        let started = Instant::now();
        let mut tally = Tally {
            outcomes: (0..items.len()).map(|_| None).collect(),
            done: 0,
            on_progress,
        };
        drive(&items, &f, concurrency, &mut tally).await;
        let outcomes = tally.into_outcomes(items);
        let panics = outcomes
            .failures
            .iter()
            .filter(|(_, e)| matches!(e, ItemError::Panicked(_)))
            .count();
        finished(
            outcomes.len(),
            outcomes.failure_count(),
            panics,
            started.elapsed(),
        );
        outcomes
    }
}

/// Runs `f` on every input, at most `concurrency` calls in flight, each
/// outcome into `tally`.
///
/// An `async fn` rather than a hand-written future: the calls borrow
/// `items` and `f`, which outlive it in the caller's future, and only the
/// compiler may build such a self-referential type without `unsafe`.
async fn drive<I, F, T, E, P>(items: &[I], f: &F, concurrency: usize, tally: &mut Tally<T, E, P>)
where
    F: AsyncFn(&I) -> Result<T, E>,
    E: fmt::Display,
    P: FnMut(Progress),
{
    let total = items.len();
    // Boxed so that each call stays pinned while the vector moves it.
    let mut in_flight = Vec::with_capacity(concurrency.min(total));
    let mut next = 0;
    // Calls `f` on the next input that does not panic when called.
    let mut start = |tally: &mut Tally<T, E, P>| {
        while next < total {
            let index = next;
            next += 1;
            match catch_unwind(AssertUnwindSafe(|| f(&items[index]))) {
                Ok(call) => return Some((index, Box::pin(call))),
                Err(panic) => tally.record(index, Err(panicked(&*panic))),
            }
        }
        None
    };
    poll_fn(|cx| {
        while in_flight.len() < concurrency {
            match start(tally) {
                Some(call) => in_flight.push(call),
                None => break,
            }
        }
        // Poll each call once; a finished call's slot takes the next input
        // at once, and is polled again in this same pass.
        let mut slot = 0;
        while slot < in_flight.len() {
            let (index, call) = &mut in_flight[slot];
            let index = *index;
            let outcome = match catch_unwind(AssertUnwindSafe(|| call.as_mut().poll(cx))) {
                Ok(Poll::Pending) => {
                    slot += 1;
                    continue;
                }
                Ok(Poll::Ready(out)) => out.map_err(ItemError::Failed),
                Err(panic) => Err(panicked(&*panic)),
            };
            tally.record(index, outcome);
            let finished = match start(tally) {
                Some(call) => std::mem::replace(&mut in_flight[slot], call),
                None => in_flight.swap_remove(slot),
            };
            // A call that panicked may panic again as it is dropped.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(finished)));
        }
        if in_flight.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

/// The outcomes gathered so far, by input position.
struct Tally<T, E, P> {
    outcomes: Vec<Option<Result<T, ItemError<E>>>>,
    done: usize,
    on_progress: P,
}

impl<T, E: fmt::Display, P: FnMut(Progress)> Tally<T, E, P> {
    fn record(&mut self, index: usize, outcome: Result<T, ItemError<E>>) {
        if let Err(error) = &outcome {
            item_failed(index, error);
        }
        let succeeded = outcome.is_ok();
        let slot = &mut self.outcomes[index];
        debug_assert!(slot.is_none(), "input {index} finished twice");
        *slot = Some(outcome);
        self.done += 1;
        let progress = Progress {
            done: self.done,
            total: self.outcomes.len(),
            succeeded,
        };
        // A progress bar that panics loses no outcome.
        if catch_unwind(AssertUnwindSafe(|| (self.on_progress)(progress))).is_err() {
            tracing::error!(target: "resilient", index, "a batch progress callback panicked");
        }
    }

    /// Each input with its outcome, in input order.
    fn into_outcomes<I>(self, items: Vec<I>) -> Outcomes<I, T, E> {
        let mut successes = Vec::new();
        let mut failures = Vec::new();
        for (item, outcome) in items.into_iter().zip(self.outcomes) {
            match outcome.expect("every input finishes exactly once") {
                Ok(value) => successes.push((item, value)),
                Err(error) => failures.push((item, error)),
            }
        }
        Outcomes {
            successes,
            failures,
        }
    }
}

/// Reports one failed input; not generic, so compiled once.
fn item_failed(index: usize, error: &dyn fmt::Display) {
    tracing::warn!(target: "resilient", index, error = %error, "batch input failed");
}

/// Reports a batch's totals; not generic, so compiled once.
fn finished(total: usize, failed: usize, panicked: usize, elapsed: Duration) {
    tracing::info!(
        target: "resilient",
        total,
        succeeded = total - failed,
        failed,
        panicked,
        ?elapsed,
        "batch finished"
    );
}

/// The message a panic carried, as the default panic hook would print it.
fn panicked<E>(payload: &(dyn Any + Send)) -> ItemError<E> {
    let message = if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    };
    ItemError::Panicked(message)
}

/// One finished input, as told to [`Batch::on_progress`].
///
/// ```
/// use resilient_core::batch::Progress;
///
/// fn bar(p: Progress) {
///     let mark = if p.succeeded { '.' } else { 'x' };
///     eprint!("{mark}");
///     if p.done == p.total { eprintln!(" {} done", p.total) }
/// }
/// # resilient_core::Batch::new([()]).on_progress(bar);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Inputs finished so far, this one included: 1 on the first call,
    /// `total` on the last.
    pub done: usize,
    /// Inputs in the batch.
    pub total: usize,
    /// Whether this input's call succeeded.
    pub succeeded: bool,
}

/// Why one input of a batch failed.
///
/// ```
/// use resilient_core::ItemError;
///
/// let e: ItemError<&str> = ItemError::Panicked("index out of bounds".into());
/// assert_eq!(e.to_string(), "panicked: index out of bounds");
/// assert_eq!(ItemError::Failed("refused").to_string(), "refused");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemError<E> {
    /// The call returned this error.
    Failed(E),
    /// The call panicked with this message.
    Panicked(String),
}

impl<E: fmt::Display> fmt::Display for ItemError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemError::Failed(e) => e.fmt(f),
            ItemError::Panicked(message) => write!(f, "panicked: {message}"),
        }
    }
}

impl<E: Error> Error for ItemError<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            // Displayed as the error itself, so its source is the next one.
            ItemError::Failed(e) => e.source(),
            ItemError::Panicked(_) => None,
        }
    }
}

/// What a [`Batch`] did with each input: the successes with their values,
/// and the failures with their errors, each in input order.
///
/// ```
/// use resilient_core::batch;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let out = batch::run(["1", "x", "3"], 4, async |s: &&str| s.parse::<u8>()).await;
/// assert_eq!((out.len(), out.success_count(), out.failure_count()), (3, 2, 1));
/// assert_eq!(out.failures()[0].0, "x");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcomes<I, T, E> {
    successes: Vec<(I, T)>,
    failures: Vec<(I, ItemError<E>)>,
}

impl<I, T, E> Outcomes<I, T, E> {
    /// Inputs in the batch: successes and failures together.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let out = resilient_core::batch::run(0..5, 1, async |_: &i32| Err::<(), _>("no")).await;
    /// assert_eq!(out.len(), 5);
    /// # }
    /// ```
    pub fn len(&self) -> usize {
        self.successes.len() + self.failures.len()
    }

    /// Whether the batch had no inputs.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let out = resilient_core::batch::run(Vec::<u8>::new(), 1, async |_: &u8| Ok::<_, &str>(())).await;
    /// assert!(out.is_empty());
    /// # }
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Inputs whose call succeeded.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let out = resilient_core::batch::run([1, 2], 1, async |n: &i32| if *n > 1 { Ok(()) } else { Err("small") }).await;
    /// assert_eq!(out.success_count(), 1);
    /// # }
    /// ```
    pub fn success_count(&self) -> usize {
        self.successes.len()
    }

    /// Inputs whose call failed or panicked.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let out = resilient_core::batch::run([1, 2], 1, async |n: &i32| if *n > 1 { Ok(()) } else { Err("small") }).await;
    /// assert_eq!(out.failure_count(), 1);
    /// # }
    /// ```
    pub fn failure_count(&self) -> usize {
        self.failures.len()
    }

    /// The share of inputs that succeeded, from 0.0 to 1.0; 1.0 for an empty
    /// batch, since nothing in it failed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let out = resilient_core::batch::run(1..=4, 2, async |n: &i32| if *n > 1 { Ok(()) } else { Err("small") }).await;
    /// assert_eq!(out.success_rate(), 0.75);
    /// # }
    /// ```
    pub fn success_rate(&self) -> f64 {
        if self.is_empty() {
            1.0
        } else {
            self.successes.len() as f64 / self.len() as f64
        }
    }

    /// Each input that succeeded, with its value, in input order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let out = resilient_core::batch::run([3, 1, 2], 3, async |n: &u32| Ok::<_, &str>(n * 2)).await;
    /// assert_eq!(out.successes(), &[(3, 6), (1, 2), (2, 4)]);
    /// # }
    /// ```
    pub fn successes(&self) -> &[(I, T)] {
        &self.successes
    }

    /// Each input that failed, with its error, in input order.
    ///
    /// ```
    /// use resilient_core::ItemError;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let out = resilient_core::batch::run([3, 1], 2, async |n: &u32| Err::<(), _>(*n)).await;
    /// assert_eq!(out.failures(), &[(3, ItemError::Failed(3)), (1, ItemError::Failed(1))]);
    /// # }
    /// ```
    pub fn failures(&self) -> &[(I, ItemError<E>)] {
        &self.failures
    }

    /// The successes and the failures, each in input order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let out = resilient_core::batch::run(1..=3, 2, async |n: &u32| if *n == 2 { Err("two") } else { Ok(()) }).await;
    /// let (done, retry_later) = out.into_parts();
    /// assert_eq!(done, [(1, ()), (3, ())]);
    /// let again: Vec<u32> = retry_later.into_iter().map(|(n, _)| n).collect();
    /// assert_eq!(again, [2]);
    /// # }
    /// ```
    // Two plain lists say more than a type alias would.
    #[allow(clippy::type_complexity)]
    pub fn into_parts(self) -> (Vec<(I, T)>, Vec<(I, ItemError<E>)>) {
        (self.successes, self.failures)
    }
}
