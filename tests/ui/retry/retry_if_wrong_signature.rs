use resilient_async::retry;

fn is_busy(error: std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::ResourceBusy
}

#[retry(max = 2, retry_if = is_busy)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
