use resilient_async::retry;

#[retry(retry_if = "is_retryable")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
