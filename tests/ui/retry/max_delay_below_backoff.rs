use resilient_async::retry;

#[retry(backoff = "2s", max_delay = "1s")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
