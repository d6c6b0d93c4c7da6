use resilient_async::circuit_breaker;

#[circuit_breaker(cooldown_jitter = 1.0)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
