use resilient_async::circuit_breaker;

#[circuit_breaker(threshold = 3)]
#[circuit_breaker(cooldown = "30s")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
