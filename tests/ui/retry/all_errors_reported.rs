use resilient_async::retry;

#[retry(maxx = 3, max = 2, attempts = 0, backoff = "60x", factor = 0.5, jitter = "random")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
