#![deny(unused_imports)]

use std::io;

use resilient_async::{retry, timeout};

#[timeout("1s")]
#[retry(max = 2)]
async fn fetch() -> io::Result<u32> {
    Ok(1)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(fetch().await.unwrap(), 1);
}
