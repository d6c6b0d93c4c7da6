//! A `tracing` span per call carrying its attempt and key. Alone in this
//! binary: tracing caches each callsite's interest process-wide, and a test
//! thread that hits a callsite while another installs its subscriber can
//! leave the callsite disabled for it.
#![cfg(feature = "metrics")]

mod common;

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use common::ServiceError;
use resilient_async::{retry, timeout};

/// Collects the formatted events of the current thread.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn each_call_has_a_span_with_its_attempt_and_key() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    static CALLS: AtomicU32 = AtomicU32::new(0);
    #[retry(max = 1, backoff = "1ms")]
    async fn spanned() -> Result<u32, ServiceError> {
        let key = resilient_async::attempt().unwrap().idempotency_key();
        tracing::info!(%key, "inside the body");
        match CALLS.fetch_add(1, SeqCst) {
            0 => Err(ServiceError::Unavailable(1)),
            _ => Ok(1),
        }
    }
    assert_eq!(spanned().await, Ok(1));
    #[timeout("1s")]
    async fn spanned_once() -> Result<u32, ServiceError> {
        tracing::info!("inside the only attempt");
        Ok(1)
    }
    assert_eq!(spanned_once().await, Ok(1));

    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let inside: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("inside the body"))
        .collect();
    assert_eq!(inside.len(), 2, "{text}");
    assert!(
        inside[0].contains("call{function=\"spanned\" attempt=1"),
        "{text}"
    );
    // The key drawn in the first attempt goes in the span (fmt appends
    // the fields recorded later: the key, then the second attempt).
    let key = inside[0].rsplit("key=").next().unwrap().trim();
    assert_eq!(key.len(), 32, "{text}");
    let span = format!("call{{function=\"spanned\" attempt=1 key={key} attempt=2}}");
    assert!(inside[1].contains(&span), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("call{function=\"spanned_once\" attempt=1}")
                && l.contains("inside the only attempt")),
        "{text}"
    );
}
