use resilient_async::circuit_breaker;

#[circuit_breaker(threshold = 3)]
async fn fetch() -> u32 {
    1
}

fn main() {}
