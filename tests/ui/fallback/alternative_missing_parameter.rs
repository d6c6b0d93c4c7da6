use resilient_async::fallback;

async fn claude() -> std::io::Result<u32> {
    Ok(2)
}

#[fallback(claude)]
async fn fetch(receipt: &[u8]) -> std::io::Result<u32> {
    Ok(receipt.len() as u32)
}

fn main() {}
