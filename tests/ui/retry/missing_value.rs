use resilient_async::retry;

#[retry(max)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
