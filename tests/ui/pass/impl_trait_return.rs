use std::fmt::Display;
use std::io;

use resilient_async::{retry, timeout};

#[retry(max = 2)]
async fn describe(id: u32) -> io::Result<impl Display> {
    if id == 0 {
        return Ok(String::from("zero"));
    }
    Ok(id.to_string())
}

#[timeout("1s")]
async fn items() -> Result<impl Iterator<Item = u8>, io::Error> {
    Ok(vec![1, 2].into_iter())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(describe(0).await.unwrap().to_string(), "zero");
    assert_eq!(items().await.unwrap().sum::<u8>(), 3);
}
