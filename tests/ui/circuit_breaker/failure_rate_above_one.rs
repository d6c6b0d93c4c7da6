use resilient_async::circuit_breaker;

#[circuit_breaker(failure_rate = 1.5)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
