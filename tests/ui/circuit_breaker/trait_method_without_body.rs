use resilient_async::circuit_breaker;

trait Api {
    #[circuit_breaker(threshold = 3)]
    async fn fetch(&self) -> std::io::Result<u32>;
}

fn main() {}
