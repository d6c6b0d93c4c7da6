use resilient_async::fallback;

fn is_busy(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::ResourceBusy
}

#[fallback(cost = 0.03, when = is_busy)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
