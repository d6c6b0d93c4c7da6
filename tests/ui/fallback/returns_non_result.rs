use resilient_async::fallback;

async fn claude() -> Option<u32> {
    Some(2)
}

#[fallback(claude)]
async fn fetch() -> Option<u32> {
    Some(1)
}

fn main() {}
