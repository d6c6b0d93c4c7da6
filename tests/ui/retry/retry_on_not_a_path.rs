use resilient_async::retry;

#[retry(retry_on = "unavailable")]
async fn fetch() -> Result<u16, std::io::Error> {
    Ok(200)
}

fn main() {}
