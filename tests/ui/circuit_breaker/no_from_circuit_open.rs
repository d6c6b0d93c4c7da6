use resilient_async::circuit_breaker;

#[derive(Debug)]
struct PlainError;

#[circuit_breaker(threshold = 3)]
async fn fetch() -> Result<u32, PlainError> {
    Ok(1)
}

fn main() {}
