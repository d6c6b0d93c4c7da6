use resilient_async::circuit_breaker;

#[circuit_breaker(threshold = 3)]
struct Client;

fn main() {}
