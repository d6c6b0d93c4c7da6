// Under `#[async_trait]`, which rewrites each `async fn` into a `fn`
// returning a boxed future before our attributes run, they still apply.
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use async_trait::async_trait;
use resilient_async::{circuit_breaker, retry, timeout};

#[async_trait]
trait Ocr {
    async fn read(&self, page: &str) -> std::io::Result<String>;
    async fn read_owned(&self, page: String) -> std::io::Result<usize>;
}

struct Flaky {
    calls: AtomicU32,
}

#[async_trait]
impl Ocr for Flaky {
    #[retry(max = 3, backoff = "1ms")]
    #[circuit_breaker(threshold = 10)]
    #[timeout("1s")]
    async fn read(&self, page: &str) -> std::io::Result<String> {
        if self.calls.fetch_add(1, SeqCst) < 2 {
            return Err(std::io::ErrorKind::ConnectionReset.into());
        }
        Ok(format!("{page} read"))
    }

    #[retry(max = 1, backoff = "1ms")]
    async fn read_owned(&self, page: String) -> std::io::Result<usize> {
        Ok(page.len())
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let ocr = Flaky {
        calls: AtomicU32::new(0),
    };
    let boxed: &dyn Ocr = &ocr;
    assert_eq!(boxed.read("p1").await.unwrap(), "p1 read");
    assert_eq!(ocr.calls.load(SeqCst), 3);
    assert_eq!(boxed.read_owned("abc".into()).await.unwrap(), 3);
    let m = resilient_async::metrics::get("read").unwrap().snapshot();
    assert_eq!((m.calls, m.attempts), (1, 3));
}
