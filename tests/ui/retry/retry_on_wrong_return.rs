use resilient_async::retry;

fn status(_: &u16) -> u16 {
    503
}

#[retry(retry_on = status)]
async fn fetch() -> Result<u16, std::io::Error> {
    Ok(200)
}

fn main() {}
