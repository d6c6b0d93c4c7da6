use resilient::circuit_breaker;

#[circuit_breaker(threshold = 3)]
async fn fetch() -> u32 {
    1
}

fn main() {}
