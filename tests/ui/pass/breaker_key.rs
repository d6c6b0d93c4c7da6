use std::io;

use resilient_async::circuit_breaker;

#[circuit_breaker(threshold = 1, key = host)]
async fn fetch(host: &str, path: &str) -> io::Result<String> {
    if path.is_empty() {
        return Err(io::ErrorKind::ConnectionRefused.into());
    }
    Ok(format!("{host}{path}"))
}

#[circuit_breaker(threshold = 1, key = (tenant, region.as_str()))]
async fn by_tenant(tenant: u32, region: String) -> io::Result<u32> {
    Ok(tenant + region.len() as u32)
}

struct Client {
    host: String,
    sent: u32,
}

impl Client {
    #[circuit_breaker(threshold = 1, key = self.host)]
    async fn get(&self, path: &str) -> io::Result<usize> {
        Ok(self.host.len() + path.len())
    }

    #[circuit_breaker(threshold = 1, key = self.host.clone(), max_keys = 2)]
    async fn post(&mut self, body: &[u8]) -> io::Result<usize> {
        self.sent += 1;
        Ok(body.len())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(fetch("a.example", "/x").await.unwrap(), "a.example/x");
    assert!(fetch("a.example", "").await.is_err());
    // `a.example` is open; `b.example` has a breaker of its own.
    assert_eq!(fetch("a.example", "/x").await.unwrap_err().kind(), io::ErrorKind::ResourceBusy);
    assert_eq!(fetch("b.example", "/x").await.unwrap(), "b.example/x");
    assert_eq!(resilient_async::circuit_breaker::keyed("fetch").unwrap().len(), 2);
    assert_eq!(by_tenant(1, "eu".to_owned()).await.unwrap(), 3);

    let mut client = Client { host: "c.example".to_owned(), sent: 0 };
    assert_eq!(client.get("/y").await.unwrap(), 11);
    assert_eq!(client.post(b"abc").await.unwrap(), 3);
    assert_eq!(client.sent, 1);
}
