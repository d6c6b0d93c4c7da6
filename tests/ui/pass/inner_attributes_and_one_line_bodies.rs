#![deny(warnings, unused_braces)]
// Inner attributes stay the function's; one-line bodies get no lint of
// ours.
use resilient_async::{circuit_breaker, fallback, retry, self_heal, timeout, Heal};

async fn diagnose(_: &std::io::Error) -> Heal {
    Heal::GiveUp
}

async fn backup() -> std::io::Result<u32> {
    Ok(0)
}

#[retry]
async fn one_line() -> std::io::Result<u32> { Ok(1) }

#[retry(max = 1)]
#[circuit_breaker]
#[timeout("1s")]
#[fallback(backup)]
#[self_heal(diagnoser = diagnose)]
async fn every_layer() -> std::io::Result<u32> { Ok(2) }

#[retry]
async fn inner() -> std::io::Result<u32> {
    #![allow(clippy::needless_return, unused_mut)]
    //! Inner documentation stays too.
    let mut n = 3;
    return Ok(n);
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(one_line().await.unwrap() + every_layer().await.unwrap() + inner().await.unwrap(), 6);
}
