use resilient_async::fallback;

struct Client;

impl Client {
    async fn backup(self) -> std::io::Result<u32> {
        Ok(2)
    }

    #[fallback(backup)]
    async fn fetch(self) -> std::io::Result<u32> {
        Ok(1)
    }
}

fn main() {}
