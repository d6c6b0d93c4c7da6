use std::io;

use resilient_async::circuit_breaker;

#[circuit_breaker(threshold = 5)]
async fn parse(text: &str) -> io::Result<u32> {
    if text.is_empty() {
        return Ok(0);
    }
    let n: u32 = text
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    if n > 100 {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "too large"));
    }
    Ok(n)
}

#[circuit_breaker(failure_rate = 0.5, window = "10s")]
async fn read(path: &str) -> io::Result<Vec<u8>> {
    let bytes = std::fs::read(path)?;
    Ok(bytes)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(parse("").await.unwrap(), 0);
    assert_eq!(parse("42").await.unwrap(), 42);
    assert!(parse("x").await.is_err());
    assert!(parse("1000").await.is_err());
    assert!(read("").await.is_err());
}
