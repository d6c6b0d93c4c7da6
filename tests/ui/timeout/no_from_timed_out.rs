use resilient_async::timeout;

#[derive(Debug)]
struct PlainError;

#[timeout("30s")]
async fn fetch() -> Result<u32, PlainError> {
    Ok(1)
}

fn main() {}
