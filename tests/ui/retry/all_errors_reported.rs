use resilient_async::retry;

#[retry(maxx = 3, max = 0, attempts = 2, backoff = "60x", factor = 0.5, jitter = "random")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
