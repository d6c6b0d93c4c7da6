use resilient_async::fallback;

async fn claude(name: impl AsRef<str>) -> std::io::Result<usize> {
    Ok(name.as_ref().len())
}

async fn local_ocr(name: impl AsRef<str>) -> std::io::Result<usize> {
    Ok(name.as_ref().len())
}

#[fallback(claude, local_ocr)]
async fn greet(name: impl AsRef<str>) -> std::io::Result<usize> {
    Ok(name.as_ref().len())
}

fn main() {}
