//! The one protocol of every layer's engine: told an outcome, it answers
//! what to do next. The expansions and the executor only loop and await.

use std::fmt::Display;
use std::time::Duration;

/// How an engine displays an error of type `E` in its events: `Display`,
/// checked once per function by the expansion.
pub type Show<E> = fn(&E) -> &dyn Display;

/// What to do after an outcome.
///
/// ```
/// use resilient_core::private::{Call, Retrying, Step};
/// use resilient_core::metrics::Metrics;
/// use resilient_core::RetryConfig;
///
/// static FIGURES: Metrics = Metrics::new("by_hand", module_path!());
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let policy = RetryConfig::new().build().unwrap();
/// let mut call = Call::new(&FIGURES);
/// let mut retry = Retrying::new(&policy, &mut call);
/// let mut failures = 2;
/// let out = loop {
///     let out = call.scope(async {
///         if failures > 0 {
///             failures -= 1;
///             Err(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
///         } else {
///             Ok("done")
///         }
///     }).await;
///     match retry.after(&mut call, out, &resilient_core::ByTransient, |e| e) {
///         Step::Done(out) => break out,
///         Step::Retry(delay) => tokio::time::sleep(delay).await,
///         _ => unreachable!("a retry only retries or ends"),
///     }
/// };
/// call.finish(&out);
/// assert_eq!(out.unwrap(), "done");
/// assert_eq!(FIGURES.snapshot().retries, 2);
/// # }
/// ```
#[derive(Debug)]
pub enum Step<T, E> {
    /// Return this result: a success, or an error nothing more can help.
    Done(Result<T, E>),
    /// Sleep this long, then run the layer inside again.
    Retry(Duration),
    /// Ask the diagnoser about this error, then maybe run again.
    Heal(E),
    /// Call the next fallback tier.
    Next,
}
