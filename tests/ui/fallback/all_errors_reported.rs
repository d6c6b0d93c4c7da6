use resilient_async::fallback;

async fn claude() -> std::io::Result<u32> {
    Ok(2)
}

#[fallback(claude = -1.0, claude, cost = "cheap", when = "is_busy")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
