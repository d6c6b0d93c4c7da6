use resilient_async::retry;

#[retry(backoff = "1m")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
