use resilient_async::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Busy;

#[retry(max = 2)]
async fn fetch() -> Result<u32, Busy> {
    Ok(1)
}

fn main() {}
