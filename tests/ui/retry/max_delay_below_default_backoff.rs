use resilient_async::retry;

#[retry(max_delay = "50ms")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
