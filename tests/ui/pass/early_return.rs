use std::io;

use resilient_async::retry;

#[retry(max = 2)]
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

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(parse("").await.unwrap(), 0);
    assert_eq!(parse("42").await.unwrap(), 42);
    assert!(parse("x").await.is_err());
    assert!(parse("1000").await.is_err());
}
