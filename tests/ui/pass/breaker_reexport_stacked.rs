// Attributes reached through a re-export that says where it is with
// `crate = "..."` are gathered as siblings: the canonical order holds, so the
// breaker sees each of the three attempts.
use std::sync::atomic::{AtomicU32, Ordering};

mod reexport {
    pub use resilient_async::*;
}

static CALLS: AtomicU32 = AtomicU32::new(0);

#[reexport::circuit_breaker(threshold = 100, crate = "crate::reexport")]
#[reexport::retry(max = 2, backoff = "1ms", crate = "crate::reexport")]
async fn fetch() -> std::io::Result<u32> {
    CALLS.fetch_add(1, Ordering::SeqCst);
    Err(std::io::ErrorKind::ConnectionReset.into())
}

#[allow(non_snake_case)]
#[resilient_async::circuit_breaker(key = BREAKERS, threshold = 1)]
async fn keyed_on_a_name_the_expansion_uses(BREAKERS: &str) -> std::io::Result<usize> {
    Ok(BREAKERS.len())
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    assert!(fetch().await.is_err());
    assert_eq!(CALLS.load(Ordering::SeqCst), 3);
    let b = reexport::circuit_breaker::get("fetch").unwrap().snapshot();
    assert_eq!((b.calls, b.failures), (3, 3));
    assert_eq!(keyed_on_a_name_the_expansion_uses("host").await.unwrap(), 4);
}
