use resilient_async::{circuit_breaker, retry};

#[circuit_breaker(threshold = 3)]
#[retry(max = 2)]
#[circuit_breaker(threshold = 5)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
