use resilient_async::circuit_breaker;

#[circuit_breaker(treshold = 5, threshold = 0, failure_rate = 1.5, window = 10, min_calls = 20, close_after = 2, cooldown = "1x")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
