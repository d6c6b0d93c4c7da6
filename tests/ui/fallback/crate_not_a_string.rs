use resilient_async::fallback;

async fn claude() -> std::io::Result<u32> {
    Ok(2)
}

#[fallback(claude, crate = resilient)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
