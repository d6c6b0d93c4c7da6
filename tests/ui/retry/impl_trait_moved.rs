use resilient_async::retry;

#[retry(max = 2)]
async fn greet(name: impl Into<String>) -> std::io::Result<String> {
    Ok(name.into())
}

fn main() {}
