use resilient_async::circuit_breaker;

#[circuit_breaker(half_open = 20000)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
