use resilient_async::circuit_breaker;

#[circuit_breaker(cooldown = "0s")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
