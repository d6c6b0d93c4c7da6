use resilient_async::timeout;

#[timeout]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
