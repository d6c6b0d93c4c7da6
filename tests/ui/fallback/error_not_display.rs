use resilient_async::fallback;

#[derive(Debug)]
struct Busy;

async fn claude() -> Result<u32, Busy> {
    Ok(2)
}

#[fallback(claude)]
async fn fetch() -> Result<u32, Busy> {
    Err(Busy)
}

fn main() {}
