#![deny(unused_imports)]
#![allow(non_upper_case_globals)]
// The heal's expansion names everything through `::core` and `::resilient_async`,
// and its own bindings and statics cannot clash with the user's.

use std::io;

use resilient_async::{self_heal, Heal};

#[allow(dead_code)]
mod core {}

#[allow(dead_code)]
mod std_like {
    pub(crate) type Result<T> = ::core::result::Result<T, ::std::io::Error>;
}

#[allow(dead_code)]
struct Healer;

#[allow(dead_code)]
struct Duration;

#[allow(dead_code)]
enum Option {
    Some,
}

const HEALER: u8 = 1;
const METRICS: u8 = 2;

/// A diagnoser named like a generated binding, with arguments named like
/// the others.
async fn __resilient_healer(
    __resilient_error: &io::Error,
    __resilient_round: &u8,
    __resilient_seen: &u8,
    __resilient_delay: &u8,
) -> Heal {
    let _ = (__resilient_error, __resilient_seen, __resilient_delay);
    if *__resilient_round == 0 {
        Heal::Retry
    } else {
        Heal::GiveUp
    }
}

#[self_heal(diagnoser = __resilient_healer, backoff = "1ms")]
async fn plain(
    __resilient_round: u8,
    __resilient_seen: u8,
    __resilient_delay: u8,
) -> std_like::Result<u8> {
    let __resilient_out = __resilient_round + __resilient_seen;
    let __resilient_value = __resilient_delay + HEALER + METRICS;
    let __resilient_fake_return = 0_u8;
    static FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !FAILED.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return Err(io::ErrorKind::ConnectionReset.into());
    }
    Ok(__resilient_out + __resilient_value + __resilient_fake_return)
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    assert_eq!(plain(0, 1, 2).await.unwrap(), 6);
    assert!(plain(1, 1, 2).await.is_ok());
    let figures = resilient_async::heal::get("plain").unwrap().snapshot();
    assert_eq!((figures.diagnosed, figures.healed), (1, 1));
}
