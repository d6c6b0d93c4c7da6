use resilient_async::retry;

#[retry(max = 2)]
async fn fetch() {}

fn main() {}
