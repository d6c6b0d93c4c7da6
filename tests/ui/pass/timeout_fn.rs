use std::io;

use resilient_async::timeout;

#[timeout("30s")]
async fn positional() -> io::Result<u32> {
    Ok(1)
}

#[timeout(2.5)]
async fn seconds() -> io::Result<u32> {
    Ok(2)
}

#[timeout(duration = "1m", crate = "resilient_async")]
async fn keyed() -> io::Result<u32> {
    Ok(3)
}

/// Not `Clone`: `#[timeout]` runs the body once, so it may be moved in.
struct Connection {
    id: u32,
}

impl Connection {
    #[timeout("1s")]
    async fn close(self) -> io::Result<u32> {
        Ok(self.id)
    }
}

#[timeout("1s")]
async fn consume(connection: Connection) -> io::Result<u32> {
    connection.close().await
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(positional().await.unwrap(), 1);
    assert_eq!(seconds().await.unwrap(), 2);
    assert_eq!(keyed().await.unwrap(), 3);
    assert_eq!(consume(Connection { id: 4 }).await.unwrap(), 4);
}
