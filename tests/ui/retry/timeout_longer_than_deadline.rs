use resilient_async::retry;

#[retry(timeout = "10s", deadline = "5s")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
