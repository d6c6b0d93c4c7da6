use resilient_async::retry;

#[retry(timeout = "1s", timeout_factor = 0.5)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
