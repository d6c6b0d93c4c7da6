use resilient_async::fallback;

async fn claude() -> std::io::Result<u32> {
    Ok(2)
}

#[fallback("claude")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
