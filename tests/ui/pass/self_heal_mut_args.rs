use std::io;

use resilient_async::{retry, self_heal, Heal};

/// A `&mut` argument reaches the diagnoser as a shared reference.
async fn diagnose(_: &io::Error, buf: &Vec<&'static str>, tries: &u32) -> Heal {
    assert_eq!(buf.len() as u32, *tries);
    Heal::Retry
}

/// Reborrowed for each round.
#[self_heal(diagnoser = diagnose)]
async fn fill(buf: &mut Vec<&'static str>, tries: &mut u32) -> io::Result<usize> {
    buf.push("run");
    *tries += 1;
    if buf.len() < 3 {
        return Err(io::ErrorKind::ConnectionReset.into());
    }
    Ok(buf.len())
}

/// And for each attempt of each round.
#[self_heal(diagnoser = diagnose, max = 1, backoff = "1ms")]
#[retry(max = 1, backoff = "1ms")]
async fn refill(buf: &mut Vec<&'static str>, tries: &mut u32) -> io::Result<usize> {
    buf.push("run");
    *tries += 1;
    Err(io::ErrorKind::ConnectionReset.into())
}

struct Sink {
    written: Vec<u8>,
}

impl Sink {
    async fn check(&self, _: &io::Error, chunk: &Vec<u8>) -> Heal {
        assert_eq!(self.written.len(), chunk.len());
        Heal::Retry
    }

    #[self_heal(diagnoser = check)]
    async fn write(&mut self, chunk: &mut Vec<u8>) -> io::Result<usize> {
        chunk.push(0);
        self.written.push(1);
        if chunk.len() < 2 {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        Ok(self.written.len())
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let mut buf = Vec::new();
    let mut tries = 0;
    assert_eq!(fill(&mut buf, &mut tries).await.unwrap(), 3);
    assert_eq!((buf.len(), tries), (3, 3));

    buf.clear();
    tries = 0;
    assert!(refill(&mut buf, &mut tries).await.is_err());
    assert_eq!((buf.len(), tries), (4, 4));

    let mut sink = Sink {
        written: Vec::new(),
    };
    let mut chunk = Vec::new();
    assert_eq!(sink.write(&mut chunk).await.unwrap(), 2);
    assert_eq!(chunk, [0, 0]);
}
