use std::io;

use resilient_async::fallback;

fn down() -> io::Error {
    io::ErrorKind::ConnectionReset.into()
}

/// A free function in a method's chain is named by a path and takes the
/// receiver first.
async fn offline(client: &Client, path: &str) -> io::Result<String> {
    Ok(format!("offline {path} after {}", client.calls))
}

struct Client {
    calls: u32,
    log: Vec<&'static str>,
}

impl Client {
    async fn replica(&self, path: &str) -> io::Result<String> {
        Err(io::Error::other(format!("replica has no {path}")))
    }

    /// Bare names are methods of `Self`.
    #[fallback(replica, self::offline)]
    async fn get(&self, path: &str) -> io::Result<String> {
        let _ = path;
        Err(down())
    }

    async fn post_replica(&mut self, body: &[u8]) -> io::Result<usize> {
        self.log.push("replica");
        let _ = body;
        Err(down())
    }

    async fn post_archive(&mut self, body: &[u8]) -> io::Result<usize> {
        self.log.push("archive");
        Ok(body.len())
    }

    /// `&mut self` is reborrowed for each tier but the last.
    #[fallback(post_replica, Self::post_archive)]
    async fn post(&mut self, body: &[u8]) -> io::Result<usize> {
        self.calls += 1;
        self.log.push("primary");
        if body.is_empty() {
            Ok(0)
        } else {
            Err(down())
        }
    }

    async fn cached<'a>(&'a self, path: &'a str) -> io::Result<&'a str> {
        let _ = self.calls;
        Ok(path)
    }

    #[fallback(cached)]
    async fn lifetimes<'a>(&'a self, path: &'a str) -> io::Result<&'a str> {
        let _ = path;
        Err(down())
    }

    async fn restore(id: u32) -> io::Result<Self> {
        Ok(Client {
            calls: id,
            log: vec!["restored"],
        })
    }

    /// Without a receiver, `Self::` is written out.
    #[fallback(Self::restore)]
    async fn open(id: u32) -> io::Result<Self> {
        let _ = id;
        Err(down())
    }
}

trait Store {
    async fn backup(&self, key: &str) -> io::Result<String>;

    /// In a default body, a bare name is another method of the trait.
    #[fallback(backup)]
    async fn load(&self, key: &str) -> io::Result<String> {
        let _ = key;
        Err(down())
    }
}

struct Disk;

impl Store for Disk {
    async fn backup(&self, key: &str) -> io::Result<String> {
        Ok(format!("backup of {key}"))
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let mut client = Client::open(2).await.unwrap();
    assert_eq!(
        (client.calls, client.log.as_slice()),
        (2, &["restored"][..])
    );
    client.log.clear();

    assert_eq!(client.post(b"abc").await.unwrap(), 3);
    assert_eq!(client.log, ["primary", "replica", "archive"]);
    assert_eq!(client.post(b"").await.unwrap(), 0);
    assert_eq!(client.log, ["primary", "replica", "archive", "primary"]);
    assert_eq!(client.calls, 4);

    assert_eq!(client.get("/x").await.unwrap(), "offline /x after 4");
    assert_eq!(client.lifetimes("/y").await.unwrap(), "/y");
    assert_eq!(Disk.load("k").await.unwrap(), "backup of k");

    let chain = resilient_async::fallback::get("post").unwrap().snapshot();
    let names: Vec<_> = chain.tiers.iter().map(|t| (t.name, t.served)).collect();
    assert_eq!(
        names,
        [("post", 1), ("post_replica", 0), ("post_archive", 1)]
    );
    let chain = resilient_async::fallback::get("get").unwrap().snapshot();
    assert_eq!(chain.tiers[2].name, "offline");
}
