use resilient_async::timeout;

const LIMIT: u64 = 30;

#[timeout(LIMIT)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
