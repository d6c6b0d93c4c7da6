use resilient_async::timeout;

#[timeout(-1)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
