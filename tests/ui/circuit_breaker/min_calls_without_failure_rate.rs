use resilient_async::circuit_breaker;

#[circuit_breaker(threshold = 5, min_calls = 20)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
