use resilient::circuit_breaker;

#[circuit_breaker(threshold = 3)]
struct Client;

fn main() {}
