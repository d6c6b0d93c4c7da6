use resilient_async::retry;

#[derive(Debug)]
struct PlainError;

impl std::fmt::Display for PlainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("plain")
    }
}

#[retry]
async fn fetch() -> Result<u32, PlainError> {
    Ok(1)
}

fn main() {}
