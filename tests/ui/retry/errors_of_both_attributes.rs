use resilient_async::{retry, timeout};

#[retry(attempts = 0)]
#[timeout("0s")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
