use resilient_async::retry;

#[retry(max = 2)]
struct Client;

fn main() {}
