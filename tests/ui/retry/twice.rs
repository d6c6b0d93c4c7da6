use resilient_async::retry;

#[retry(max = 2)]
#[retry(backoff = "1s")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
