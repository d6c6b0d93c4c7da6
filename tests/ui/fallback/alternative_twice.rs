use resilient_async::fallback;

async fn claude() -> std::io::Result<u32> {
    Ok(2)
}

async fn local_ocr() -> std::io::Result<u32> {
    Ok(3)
}

#[fallback(claude, local_ocr, claude = 0.01)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
