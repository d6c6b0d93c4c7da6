use resilient_async::fallback;

#[fallback]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
