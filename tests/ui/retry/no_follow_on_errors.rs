// A refused `backoff` is reported once, not again as "`max_delay` below the
// default backoff"; a refused `timeout` does not make `timeout_factor` lonely.
use resilient_async::retry;

#[retry(backoff = "1x", max_delay = "50ms", timeout = "0s", timeout_factor = 2.0)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
