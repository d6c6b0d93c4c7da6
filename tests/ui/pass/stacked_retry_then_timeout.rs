#![deny(unused_imports)]

use std::io;

use resilient_async::{retry, timeout};

#[retry(max = 2)]
#[timeout("1s")]
async fn fetch() -> io::Result<u32> {
    Ok(1)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(fetch().await.unwrap(), 1);
}
