#![deny(unused_imports)]
#![allow(non_upper_case_globals)]
// The fallback's expansion names everything through `::core` and
// `::resilient_async`, and its own bindings, label and statics cannot clash with
// the user's.

use std::io;

use resilient_async::{fallback, retry, self_heal, Heal};

#[allow(dead_code)]
mod core {}

#[allow(dead_code)]
mod std_like {
    pub(crate) type Result<T> = ::core::result::Result<T, ::std::io::Error>;
}

#[allow(dead_code)]
struct Tiers;

#[allow(dead_code)]
struct Tier;

#[allow(dead_code)]
struct Healer;

#[allow(dead_code)]
struct Duration;

const TIERS: u8 = 1;
const METRICS: u8 = 2;
const HEALER: u8 = 3;

/// `when` named like a generated binding.
fn __resilient_out(error: &io::Error) -> bool {
    error.kind() != io::ErrorKind::NotFound
}

async fn __resilient_tiers(
    __resilient_metrics: u8,
    __resilient_label: u8,
    tiers: u8,
) -> std_like::Result<u8> {
    Ok(__resilient_metrics + __resilient_label + tiers + TIERS + METRICS + HEALER)
}

/// An alternative and a `when` named like generated bindings.
#[fallback(__resilient_tiers = 0.5, when = __resilient_out, cost = 1)]
async fn plain(__resilient_metrics: u8, __resilient_label: u8, tiers: u8) -> std_like::Result<u8> {
    let __resilient_fake_return = 0_u8;
    #[allow(unused_labels)]
    '__resilient_fallback: {
        if tiers == 0 {
            break '__resilient_fallback;
        }
        return Ok(__resilient_metrics + __resilient_label + tiers + __resilient_fake_return);
    }
    Err(io::ErrorKind::ConnectionReset.into())
}

async fn backup(__resilient_tiers: u8, __resilient_out: u8) -> io::Result<u8> {
    Ok(__resilient_tiers * __resilient_out)
}

/// Arguments named like generated bindings.
#[fallback(backup)]
async fn arguments(__resilient_tiers: u8, __resilient_out: u8) -> io::Result<u8> {
    if __resilient_tiers == 0 {
        return Err(io::ErrorKind::ConnectionReset.into());
    }
    Ok(__resilient_tiers + __resilient_out)
}

async fn __resilient_error(
    __resilient_error: &io::Error,
    __resilient_round: &u8,
    __resilient_value: &String,
) -> Heal {
    let _ = (__resilient_error, __resilient_round, __resilient_value);
    Heal::Retry
}

async fn __resilient_arg0(__resilient_round: u8, __resilient_value: String) -> io::Result<usize> {
    Ok(usize::from(__resilient_round) + __resilient_value.len())
}

#[fallback(__resilient_arg0)]
#[self_heal(diagnoser = __resilient_error, max = 1, backoff = "1ms")]
#[retry(max = 1, backoff = "1ms")]
async fn stacked(__resilient_round: u8, __resilient_value: String) -> io::Result<usize> {
    let __resilient_healer = __resilient_round;
    let __resilient_seen = __resilient_value.len();
    if __resilient_healer == 0 {
        return Err(io::ErrorKind::ConnectionReset.into());
    }
    Ok(__resilient_seen)
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    assert_eq!(plain(1, 2, 3).await.unwrap(), 6);
    assert_eq!(plain(1, 2, 0).await.unwrap(), 9);
    assert_eq!(arguments(1, 2).await.unwrap(), 3);
    assert_eq!(arguments(0, 2).await.unwrap(), 0);
    assert_eq!(stacked(1, "ab".to_owned()).await.unwrap(), 2);
    assert_eq!(stacked(0, "ab".to_owned()).await.unwrap(), 2);
    let chain = ::resilient_async::fallback::get("plain").unwrap().snapshot();
    let tiers: Vec<_> = chain
        .tiers
        .iter()
        .map(|t| (t.name, t.cost, t.served))
        .collect();
    assert_eq!(tiers, [("plain", 1.0, 1), ("__resilient_tiers", 0.5, 1)]);
}
