use resilient::retry;

#[retry(max = 2)]
struct Client;

fn main() {}
