use resilient_async::circuit_breaker;

#[circuit_breaker(key)]
async fn fetch(host: &str) -> std::io::Result<usize> {
    Ok(host.len())
}

fn main() {}
