use std::io;

use resilient_async::retry;

struct Client {
    calls: u32,
}

impl Client {
    #[retry(max = 2)]
    async fn get(&self, path: &str) -> io::Result<usize> {
        Ok(path.len() + self.calls as usize)
    }

    #[retry(max = 2)]
    async fn post(&mut self, body: &[u8]) -> io::Result<usize> {
        self.calls += 1;
        Ok(body.len())
    }

    #[retry(max = 2)]
    async fn lifetimes<'a>(&'a self, path: &'a str) -> io::Result<&'a str> {
        let _ = self.calls;
        Ok(path)
    }

    #[retry(max = 2)]
    async fn fill(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        self.calls += 1;
        buf.push(1);
        Ok(buf.len())
    }

    #[retry(max = 2)]
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
    assert_eq!(Client::new(7).await.unwrap().calls, 7);
}
