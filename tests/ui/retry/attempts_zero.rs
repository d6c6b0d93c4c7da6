use resilient_async::retry;

#[retry(attempts = 0)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
