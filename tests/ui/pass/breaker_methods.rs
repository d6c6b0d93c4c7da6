use std::io;

use resilient_async::circuit_breaker;

struct Client {
    calls: u32,
}

impl Client {
    #[circuit_breaker(threshold = 3)]
    async fn get(&self, path: &str) -> io::Result<usize> {
        Ok(path.len() + self.calls as usize)
    }

    #[circuit_breaker(threshold = 3)]
    async fn post(&mut self, body: &[u8]) -> io::Result<usize> {
        self.calls += 1;
        Ok(body.len())
    }

    #[circuit_breaker(threshold = 3)]
    async fn lifetimes<'a>(&'a self, path: &'a str) -> io::Result<&'a str> {
        let _ = self.calls;
        Ok(path)
    }

    #[circuit_breaker(threshold = 3)]
    async fn fill(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        self.calls += 1;
        buf.push(1);
        Ok(buf.len())
    }

    /// The body runs once per call, so `self` may be moved in.
    #[circuit_breaker(threshold = 3)]
    async fn close(self) -> io::Result<u32> {
        Ok(self.calls)
    }

    #[circuit_breaker(threshold = 3)]
    async fn new(calls: u32) -> Result<Self, io::Error> {
        Ok(Self { calls })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut client = Client { calls: 0 };
    assert_eq!(client.post(b"abc").await.unwrap(), 3);
    assert_eq!(client.get("/x").await.unwrap(), 3);
    assert_eq!(client.lifetimes("/y").await.unwrap(), "/y");
    let mut buf = Vec::new();
    assert_eq!(client.fill(&mut buf).await.unwrap(), 1);
    assert_eq!(client.close().await.unwrap(), 2);
    assert_eq!(Client::new(7).await.unwrap().calls, 7);
}
