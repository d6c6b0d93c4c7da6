#![deny(unused_imports)]
// The expansions name everything through `::core` and `::resilient_async`, and
// their own bindings cannot clash with the user's.

use std::io;

use resilient_async::{retry, timeout, Transient};

#[allow(dead_code)]
mod core {}

#[allow(dead_code)]
mod std_like {
    pub(crate) type Result<T> = ::core::result::Result<T, ::std::io::Error>;
}

#[allow(dead_code)]
struct Duration;

#[allow(dead_code)]
struct Metrics;

#[retry(max = 2)]
#[timeout("1s")]
async fn fetch(
    policy: u32,
    result: String,
    delay: Vec<u8>,
    out: &str,
    __resilient_call: u8,
    __resilient_out: u8,
) -> std_like::Result<usize> {
    let __resilient_call = __resilient_call + 1;
    let __resilient_out = __resilient_out + 1;
    let __resilient_fake_return = 0_usize;
    let policy = policy as usize;
    let result = result.len();
    let delay = delay.len();
    let out = out.len();
    Ok(policy
        + result
        + delay
        + out
        + usize::from(__resilient_call)
        + usize::from(__resilient_out)
        + __resilient_fake_return)
}

#[retry(max = 2)]
async fn shadow_arg((__resilient_arg0, x): (u8, u8), __resilient_arg1: u8) -> io::Result<u8> {
    Ok(__resilient_arg0 + x + __resilient_arg1)
}

#[derive(Debug, Transient)]
enum ApiError {
    #[transient]
    Busy {
        #[retry_after]
        __resilient_field: Option<::std::time::Duration>,
    },
    #[permanent]
    Bad(u8),
}

impl ::std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        write!(f, "{self:?}")
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(fetch(1, "ab".to_owned(), vec![1, 2, 3], "abcd", 0, 0).await.unwrap(), 12);
    assert_eq!(shadow_arg((1, 2), 3).await.unwrap(), 6);
    let busy = ApiError::Busy { __resilient_field: None };
    assert!(busy.is_transient() && busy.retry_after().is_none());
    assert!(!ApiError::Bad(0).is_transient());
    let _ = busy.to_string();
}
