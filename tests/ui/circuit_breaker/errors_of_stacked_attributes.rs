use resilient_async::{circuit_breaker, retry, timeout};

#[retry(attempts = 0)]
#[circuit_breaker(threshold = 0)]
#[timeout("0s")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
