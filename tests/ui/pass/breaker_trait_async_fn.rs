use std::io;

use resilient_async::circuit_breaker;

trait Api {
    fn base(&self) -> u32;

    #[circuit_breaker(threshold = 2)]
    async fn fetch(&self, id: u32) -> io::Result<u32> {
        Ok(self.base() + id)
    }

    async fn store(&self, value: String) -> io::Result<usize>;
}

struct Local;

impl Api for Local {
    fn base(&self) -> u32 {
        10
    }

    #[circuit_breaker(failure_rate = 0.5, window = 10)]
    async fn store(&self, value: String) -> io::Result<usize> {
        Ok(value.len())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(Local.fetch(1).await.unwrap(), 11);
    assert_eq!(Local.store("abc".to_owned()).await.unwrap(), 3);
}
