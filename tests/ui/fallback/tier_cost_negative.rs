use resilient_async::fallback;

async fn claude() -> std::io::Result<u32> {
    Ok(2)
}

async fn local_ocr() -> std::io::Result<u32> {
    Ok(3)
}

#[fallback(claude = -0.01, local_ocr)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
