use resilient_async::fallback;

mod ocr {
    pub async fn claude() -> std::io::Result<u32> {
        Ok(2)
    }
}

#[fallback(ocr::claude = "cheap")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
