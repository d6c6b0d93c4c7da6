use resilient_async::fallback;

struct Payload(Vec<u8>);

async fn claude(payload: Payload) -> std::io::Result<usize> {
    Ok(payload.0.len())
}

async fn local_ocr(payload: Payload) -> std::io::Result<usize> {
    Ok(payload.0.len())
}

#[fallback(claude, local_ocr)]
async fn upload(payload: Payload) -> std::io::Result<usize> {
    Ok(payload.0.len())
}

fn main() {}
