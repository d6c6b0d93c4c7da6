// In a method, a bare name is another method of `Self`.
use resilient_async::fallback;

async fn backup(_client: &Client) -> std::io::Result<u32> {
    Ok(2)
}

struct Client;

impl Client {
    #[fallback(backup)]
    async fn fetch(&self) -> std::io::Result<u32> {
        Ok(1)
    }
}

fn main() {}
