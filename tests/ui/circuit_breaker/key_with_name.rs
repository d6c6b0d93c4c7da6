use resilient_async::circuit_breaker;

#[circuit_breaker(name = "ocr", key = host)]
async fn fetch(host: &str) -> std::io::Result<usize> {
    Ok(host.len())
}

fn main() {}
