use resilient_async::circuit_breaker;

#[circuit_breaker(half_open = 2, close_after = 3)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
