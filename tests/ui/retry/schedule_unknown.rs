use resilient_async::retry;

#[retry(schedule = "fibonacci")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
