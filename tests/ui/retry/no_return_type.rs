use resilient::retry;

#[retry(max = 2)]
async fn fetch() {}

fn main() {}
