use resilient_async::circuit_breaker;

struct Host(String);

#[circuit_breaker(key = host)]
async fn fetch(host: &Host) -> std::io::Result<usize> {
    Ok(host.0.len())
}

fn main() {}
