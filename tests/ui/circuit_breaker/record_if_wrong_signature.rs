use resilient_async::circuit_breaker;

fn is_fatal(error: std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::ConnectionRefused
}

#[circuit_breaker(threshold = 3, record_if = is_fatal)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
