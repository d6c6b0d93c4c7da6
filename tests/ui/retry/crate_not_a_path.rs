use resilient_async::retry;

#[retry(crate = "not a path")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
