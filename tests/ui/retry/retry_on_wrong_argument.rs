use resilient_async::retry;

fn unavailable(status: &String) -> bool {
    status == "503"
}

#[retry(retry_on = unavailable)]
async fn fetch() -> Result<u16, std::io::Error> {
    Ok(200)
}

fn main() {}
