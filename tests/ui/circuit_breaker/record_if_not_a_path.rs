use resilient_async::circuit_breaker;

#[circuit_breaker(record_if = "is_fatal")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
