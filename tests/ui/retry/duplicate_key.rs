use resilient_async::retry;

#[retry(max = 2, max = 4)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
