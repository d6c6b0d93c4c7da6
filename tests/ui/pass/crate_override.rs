use std::io;

mod reexport {
    pub use resilient_async::*;
}

#[reexport::retry(max = 2, crate = "crate::reexport")]
#[reexport::timeout("1s")]
async fn fetch() -> io::Result<u32> {
    Ok(1)
}

#[reexport::timeout("1s", crate = "crate::reexport")]
async fn bounded() -> io::Result<u32> {
    Ok(2)
}

#[derive(Debug, reexport::Transient)]
#[resilient(crate = "crate::reexport")]
#[transient]
struct Busy;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(fetch().await.unwrap(), 1);
    assert_eq!(bounded().await.unwrap(), 2);
    assert!(reexport::Transient::is_transient(&Busy));
}
