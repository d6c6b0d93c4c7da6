use resilient_async::circuit_breaker;

#[circuit_breaker(close_after = 2)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
