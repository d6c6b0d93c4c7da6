use std::cell::Cell;
use std::io;

use resilient_async::{heal, self_heal, Heal};

fn down() -> io::Error {
    io::ErrorKind::ConnectionReset.into()
}

/// A free diagnoser in a method is named by a path and takes the receiver
/// first.
async fn check_disk(client: &Client, _: &io::Error) -> Heal {
    client.remedies.set(client.remedies.get() + 1);
    Heal::Retry
}

struct Client {
    calls: u32,
    remedies: Cell<u32>,
    connected: Cell<bool>,
}

impl Client {
    /// The remedy reconnects; the diagnoser borrows `self` shared.
    async fn reconnect(&self, error: &io::Error, path: &str) -> Heal {
        assert_eq!((error.kind(), path), (io::ErrorKind::ConnectionReset, "/x"));
        self.remedies.set(self.remedies.get() + 1);
        self.connected.set(true);
        Heal::Retry
    }

    /// Bare names are methods of `Self`.
    #[self_heal(diagnoser = reconnect)]
    async fn get(&self, path: &str) -> io::Result<String> {
        if !self.connected.get() {
            return Err(down());
        }
        Ok(format!("got {path}"))
    }

    async fn flush(&self, _: &io::Error, body: &[u8]) -> Heal {
        assert_eq!(body, b"abc");
        self.remedies.set(self.remedies.get() + 1);
        Heal::Retry
    }

    /// `&mut self` is reborrowed for each round.
    #[self_heal(diagnoser = Self::flush, max = 3)]
    async fn post(&mut self, body: &[u8]) -> io::Result<u32> {
        self.calls += 1;
        if self.calls < 3 {
            return Err(down());
        }
        Ok(self.calls)
    }

    #[self_heal(diagnoser = self::check_disk, max = 1)]
    async fn status(&self) -> io::Result<u32> {
        Err(down())
    }

    async fn give_up<'a>(&'a self, _: &io::Error, _: &'a str) -> Heal {
        Heal::GiveUp
    }

    #[self_heal(diagnoser = give_up)]
    async fn lifetimes<'a>(&'a self, path: &'a str) -> io::Result<&'a str> {
        if path.is_empty() {
            return Err(down());
        }
        Ok(path)
    }
}

trait Api {
    async fn fix(&self, error: &io::Error, id: &u32) -> Heal;

    fn fixed(&self) -> bool;

    /// In a default body, a bare name is another method of the trait.
    #[self_heal(diagnoser = fix)]
    async fn fetch(&self, id: u32) -> io::Result<u32> {
        if !self.fixed() {
            return Err(down());
        }
        Ok(id)
    }
}

struct Local(Cell<bool>);

impl Api for Local {
    async fn fix(&self, _: &io::Error, _: &u32) -> Heal {
        self.0.set(true);
        Heal::Retry
    }

    fn fixed(&self) -> bool {
        self.0.get()
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let mut client = Client {
        calls: 0,
        remedies: Cell::new(0),
        connected: Cell::new(false),
    };
    assert_eq!(client.get("/x").await.unwrap(), "got /x");
    assert_eq!(client.remedies.get(), 1);
    // Fails twice, diagnosed twice, served on the third round.
    assert_eq!(client.post(b"abc").await.unwrap(), 3);
    assert_eq!(client.remedies.get(), 3);
    // `max = 1`: one diagnosis, then the error.
    assert!(client.status().await.is_err());
    assert_eq!(client.remedies.get(), 4);
    assert_eq!(client.lifetimes("/y").await.unwrap(), "/y");
    assert!(client.lifetimes("").await.is_err());
    assert_eq!(Local(Cell::new(false)).fetch(4).await.unwrap(), 4);

    let figures = |name| {
        let h = heal::get(name).unwrap().snapshot();
        (h.diagnosed, h.healed, h.gave_up)
    };
    assert_eq!(figures("get"), (1, 1, 0));
    assert_eq!(figures("post"), (2, 1, 0));
    assert_eq!(figures("status"), (1, 0, 1));
    assert_eq!(figures("lifetimes"), (1, 0, 1));
    assert_eq!(figures("fetch"), (1, 1, 0));
}
