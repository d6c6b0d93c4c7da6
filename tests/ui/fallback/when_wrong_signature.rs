use resilient_async::fallback;

async fn claude() -> std::io::Result<u32> {
    Ok(2)
}

fn is_busy(error: std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::ResourceBusy
}

#[fallback(claude, when = is_busy)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
