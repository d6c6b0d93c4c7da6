use resilient_async::retry;

#[retry(factor = "2")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
