use resilient_async::fallback;

async fn claude(receipt: &[u8]) -> std::io::Result<String> {
    Ok(format!("{} bytes", receipt.len()))
}

#[fallback(claude)]
async fn fetch(receipt: &[u8]) -> std::io::Result<u32> {
    Ok(receipt.len() as u32)
}

fn main() {}
