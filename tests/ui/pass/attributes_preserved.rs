#![deny(unused_must_use)]
//! Attributes, doc comments and visibility survive the expansion.

use std::io;

use resilient_async::retry;

mod inner {
    use super::*;

    /// Documented, crate-visible, must be used.
    #[must_use = "the fetched value"]
    #[retry(max = 2)]
    #[inline]
    pub(crate) async fn fetch() -> io::Result<u32> {
        Ok(1)
    }

    #[retry(max = 2)]
    #[cfg(any())]
    pub(crate) async fn compiled_out() -> io::Result<u32> {
        Ok(2)
    }

    #[allow(clippy::needless_pass_by_value)]
    #[doc(hidden)]
    #[retry(max = 2)]
    pub async fn hidden(value: String) -> io::Result<usize> {
        Ok(value.len())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(inner::fetch().await.unwrap(), 1);
    assert_eq!(inner::hidden(String::new()).await.unwrap(), 0);
}
