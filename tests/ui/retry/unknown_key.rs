use resilient_async::retry;

#[retry(speed = 3)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
