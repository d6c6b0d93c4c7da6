use std::io;

use resilient_async::circuit_breaker;

/// Not `Clone`: the breaker runs the body once per call.
struct Connection {
    id: u32,
}

#[circuit_breaker(threshold = 2)]
async fn consume(connection: Connection, mut name: String) -> io::Result<String> {
    name.push('!');
    Ok(format!("{name}{}", connection.id))
}

#[circuit_breaker(threshold = 2)]
async fn tuple((a, b): (u8, String), [x, y]: [u16; 2]) -> io::Result<String> {
    Ok(format!("{a}{b}{x}{y}"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(consume(Connection { id: 4 }, "a".to_owned()).await.unwrap(), "a!4");
    assert_eq!(tuple((1, "c".to_owned()), [2, 3]).await.unwrap(), "1c23");
}
