#![deny(unused_imports)]
#![allow(non_upper_case_globals)]
// The breaker's expansion names everything through `::core` and
// `::resilient_async`, and its own bindings and statics cannot clash with the
// user's.

use std::io;

use resilient_async::{circuit_breaker, retry, timeout};

#[allow(dead_code)]
mod core {}

#[allow(dead_code)]
mod std_like {
    pub(crate) type Result<T> = ::core::result::Result<T, ::std::io::Error>;
}

#[allow(dead_code)]
struct CircuitBreaker;

#[allow(dead_code)]
struct KeyedBreakers;

#[allow(dead_code)]
struct SharedBreaker;

#[allow(dead_code)]
struct Duration;

const BREAKER: u8 = 1;
const METRICS: u8 = 2;
const POLICY: u8 = 3;

#[circuit_breaker(threshold = 2)]
async fn plain(
    __resilient_breaker: u8,
    __resilient_metrics: u8,
    breaker: &str,
    call: u8,
) -> std_like::Result<usize> {
    let __resilient_fake_return = 0_usize;
    Ok(usize::from(__resilient_breaker + __resilient_metrics + call + BREAKER + METRICS + POLICY)
        + breaker.len()
        + __resilient_fake_return)
}

#[circuit_breaker(threshold = 2, name = "hygiene_shared")]
async fn shared(__resilient_breaker: u8) -> std_like::Result<u8> {
    Ok(__resilient_breaker + BREAKER)
}

#[circuit_breaker(threshold = 2, key = __resilient_breaker)]
async fn keyed(__resilient_breaker: u8, __resilient_metrics: u8) -> std_like::Result<u8> {
    Ok(__resilient_breaker + __resilient_metrics)
}

#[retry(max = 2)]
#[circuit_breaker(threshold = 2, key = key)]
#[timeout("1s")]
async fn stacked(key: &str, __resilient_call: u8, __resilient_out: u8) -> io::Result<usize> {
    Ok(key.len() + usize::from(__resilient_call + __resilient_out))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(plain(1, 2, "abc", 4).await.unwrap(), 16);
    assert_eq!(shared(1).await.unwrap(), 2);
    assert_eq!(keyed(1, 2).await.unwrap(), 3);
    assert_eq!(stacked("ab", 1, 2).await.unwrap(), 5);
}
