use resilient_async::timeout;

#[timeout(duraton = "30s")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
