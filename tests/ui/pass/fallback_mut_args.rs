use std::io;

use resilient_async::{fallback, retry};

fn down() -> io::Error {
    io::ErrorKind::ConnectionReset.into()
}

async fn mirror(buf: &mut Vec<&'static str>, tries: &mut u32) -> io::Result<usize> {
    buf.push("mirror");
    *tries += 1;
    Err(down())
}

async fn archive(buf: &mut Vec<&'static str>, tries: &mut u32) -> io::Result<usize> {
    buf.push("archive");
    *tries += 1;
    Ok(buf.len())
}

/// Each `&mut` argument is reborrowed for each tier but the last.
#[fallback(mirror, archive)]
async fn fill(buf: &mut Vec<&'static str>, tries: &mut u32) -> io::Result<usize> {
    buf.push("primary");
    *tries += 1;
    Err(down())
}

/// And for each attempt of a retried primary.
#[fallback(mirror, archive)]
#[retry(max = 1, backoff = "1ms")]
async fn refill(buf: &mut Vec<&'static str>, tries: &mut u32) -> io::Result<usize> {
    buf.push("primary");
    *tries += 1;
    Err(down())
}

struct Sink {
    written: Vec<u8>,
}

impl Sink {
    async fn spill(&mut self, chunk: &mut Vec<u8>) -> io::Result<usize> {
        self.written.append(chunk);
        Ok(self.written.len())
    }

    #[fallback(spill)]
    async fn write(&mut self, chunk: &mut Vec<u8>) -> io::Result<usize> {
        chunk.push(0);
        Err(down())
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let mut buf = Vec::new();
    let mut tries = 0;
    assert_eq!(fill(&mut buf, &mut tries).await.unwrap(), 3);
    assert_eq!(buf, ["primary", "mirror", "archive"]);
    assert_eq!(tries, 3);

    buf.clear();
    assert_eq!(refill(&mut buf, &mut tries).await.unwrap(), 4);
    assert_eq!(buf, ["primary", "primary", "mirror", "archive"]);
    assert_eq!(tries, 7);

    let mut sink = Sink { written: vec![9] };
    let mut chunk = vec![1, 2];
    assert_eq!(sink.write(&mut chunk).await.unwrap(), 4);
    assert_eq!(sink.written, [9, 1, 2, 0]);
    assert!(chunk.is_empty());
}
