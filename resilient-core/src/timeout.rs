//! Bounding a call in time.

use std::future::Future;
use std::time::Duration;

use crate::metrics::Metrics;
use crate::TimedOut;

/// Runs `call`, or fails with `E::from(TimedOut)` once `limit` has passed.
/// `name` labels the `tracing` event; `metrics` counts the timeout.
///
/// ```
/// use std::time::Duration;
/// use resilient_core::timeout::timeout;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let slow = async {
///     tokio::time::sleep(Duration::from_secs(60)).await;
///     Ok::<_, std::io::Error>(())
/// };
/// let err = timeout(Duration::from_secs(30), "slow", None, slow).await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
/// # }
/// ```
pub async fn timeout<T, E, F>(
    limit: Duration,
    name: &'static str,
    metrics: Option<&'static Metrics>,
    call: F,
) -> Result<T, E>
where
    F: Future<Output = Result<T, E>>,
    E: From<TimedOut>,
{
    timeout_with(limit, name, metrics, E::from, call).await
}

/// [`timeout`], turning a timeout into `E` with `convert`: the expansions'
/// path, which checks `From<TimedOut>` once, at the user's error type.
pub(crate) async fn timeout_with<T, E, F>(
    limit: Duration,
    name: &'static str,
    metrics: Option<&'static Metrics>,
    convert: fn(TimedOut) -> E,
    call: F,
) -> Result<T, E>
where
    F: Future<Output = Result<T, E>>,
{
    match tokio::time::timeout(limit, call).await {
        Ok(out) => out,
        Err(_) => {
            if let Some(m) = metrics {
                m.timed_out();
            }
            tracing::debug!(target: "resilient", function = name, ?limit, "timed out");
            Err(convert(TimedOut::new(limit)))
        }
    }
}

/// Counts a call and its outcome in `metrics`: what a function gets when no
/// `#[retry]` does the counting.
///
/// ```
/// use resilient_core::{metrics::Metrics, timeout::observe};
///
/// static F: Metrics = Metrics::new("observed", module_path!());
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let _ = observe(&F, async { Err::<(), _>("boom") }).await;
/// assert_eq!(F.snapshot().failures, 1);
/// # }
/// ```
pub async fn observe<T, E, F>(metrics: &'static Metrics, call: F) -> Result<T, E>
where
    F: Future<Output = Result<T, E>>,
{
    metrics.call_started();
    let out = call.await;
    match out {
        Ok(_) => metrics.call_succeeded(),
        Err(_) => metrics.call_failed(),
    }
    out
}
