use resilient_async::fallback;

async fn claude() -> std::io::Result<u32> {
    Ok(2)
}

#[fallback(claude)]
struct Fetch;

fn main() {}
