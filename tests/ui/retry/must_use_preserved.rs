#![deny(unused_must_use)]

use resilient_async::retry;

#[retry(max = 2)]
#[must_use = "the fetched value is the point"]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

async fn caller() {
    fetch().await;
}

fn main() {
    let _ = caller();
}
