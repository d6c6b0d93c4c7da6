use resilient_async::circuit_breaker;

#[circuit_breaker(slow_call = "2s", slow_rate = 0.8)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
