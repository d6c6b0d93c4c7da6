use resilient_async::timeout;

#[timeout(limit = "30s")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
