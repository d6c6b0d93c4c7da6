use resilient_async::fallback;

async fn claude() -> std::io::Result<u32> {
    Ok(2)
}

#[fallback(claude, cost = 0.03, cost = 0.05)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
