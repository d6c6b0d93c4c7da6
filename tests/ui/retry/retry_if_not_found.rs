use resilient_async::retry;

#[retry(max = 2, retry_if = is_busy)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
