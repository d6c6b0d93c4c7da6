use resilient_async::retry;

#[retry(max = 2)]
async fn fetch() -> u32 {
    1
}

fn main() {}
