use resilient_async::fallback;

fn claude(receipt: &[u8]) -> std::io::Result<u32> {
    Ok(receipt.len() as u32)
}

#[fallback(claude)]
async fn fetch(receipt: &[u8]) -> std::io::Result<u32> {
    Ok(receipt.len() as u32)
}

fn main() {}
