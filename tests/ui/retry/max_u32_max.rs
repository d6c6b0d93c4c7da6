use resilient_async::retry;

#[retry(max = 4294967295)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
