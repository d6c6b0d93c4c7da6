//! Attempts, retries, giving up and breaker transitions are `tracing`
//! events under the target `resilient`, naming the function or breaker.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{Flaky, ServiceError};
use resilient_async::{circuit_breaker, retry};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

static SERVICE: Flaky = Flaky::new(1);

#[retry(max = 1, backoff = "250ms")]
async fn traced_ocr() -> Result<u32, ServiceError> {
    SERVICE.call()
}

#[retry(max = 1, backoff = "250ms")]
async fn traced_login() -> Result<u32, ServiceError> {
    Err(ServiceError::Unauthorized)
}

#[circuit_breaker(threshold = 1, cooldown = "5s")]
async fn traced_vision(up: bool) -> Result<u32, ServiceError> {
    if up {
        Ok(1)
    } else {
        Err(ServiceError::Unavailable(0))
    }
}

#[test]
fn events_name_the_function_the_delay_and_the_error() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .without_time()
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(async {
            assert_eq!(traced_ocr().await, Ok(2));
            assert_eq!(traced_login().await, Err(ServiceError::Unauthorized));
            assert!(traced_vision(false).await.is_err());
            assert!(traced_vision(true).await.is_err()); // refused
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            assert_eq!(traced_vision(true).await, Ok(1));
        });
    });
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let find = |needles: &[&str]| lines.iter().any(|l| needles.iter().all(|n| l.contains(n)));
    assert!(
        find(&[
            "TRACE ",
            "resilient: attempt",
            "function=\"traced_ocr\"",
            "attempt=1"
        ]),
        "{text}"
    );
    assert!(
        find(&[
            "INFO ",
            "resilient: retrying",
            "function=\"traced_ocr\"",
            "delay=250ms",
            "error=503 on attempt 1"
        ]),
        "{text}"
    );
    assert!(
        find(&[
            "resilient: succeeded after retrying",
            "function=\"traced_ocr\"",
            "attempts=2"
        ]),
        "{text}"
    );
    assert!(
        find(&[
            "WARN ",
            "resilient: giving up",
            "function=\"traced_login\"",
            "reason=\"permanent error\"",
            "error=401"
        ]),
        "{text}"
    );
    assert!(
        find(&[
            "WARN ",
            "resilient: circuit opened",
            "breaker=\"traced_vision\"",
            "from=\"closed\"",
            "cooldown=Some(5s)"
        ]),
        "{text}"
    );
    assert!(
        find(&[
            "TRACE ",
            "resilient: call rejected",
            "breaker=\"traced_vision\""
        ]),
        "{text}"
    );
    assert!(
        find(&[
            "INFO ",
            "resilient: circuit half-open",
            "breaker=\"traced_vision\""
        ]),
        "{text}"
    );
    assert!(
        find(&[
            "INFO ",
            "resilient: circuit closed",
            "breaker=\"traced_vision\"",
            "from=\"half_open\""
        ]),
        "{text}"
    );
}
