use resilient_async::retry;

#[retry(crate = resilient)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
