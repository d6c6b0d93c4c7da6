use resilient_async::circuit_breaker;

#[circuit_breaker(max_cooldown = "30s")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
