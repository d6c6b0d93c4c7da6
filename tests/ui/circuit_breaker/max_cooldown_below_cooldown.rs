use resilient_async::circuit_breaker;

#[circuit_breaker(cooldown = "30s", max_cooldown = "10s")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
