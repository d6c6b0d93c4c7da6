use resilient_async::retry;

struct Client;

impl Client {
    #[retry(max = 2)]
    async fn fetch(self) -> std::io::Result<u32> {
        Ok(1)
    }
}

fn main() {}
