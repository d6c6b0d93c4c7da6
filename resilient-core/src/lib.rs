//! The runtime of [`resilient`](https://docs.rs/resilient-async): retry policies,
//! backoff and jitter, timeouts, error classification and per-function
//! metrics.
//!
//! It works on its own, without the attributes: build a [`RetryPolicy`] and
//! [`run`](RetryPolicy::run) any async operation through it. The attributes of
//! `resilient` are a compile-time face over these same engines.
//!
//! ```
//! use std::io;
//! use resilient_core::RetryConfig;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
//! let policy = RetryConfig::new().max_retries(2).build().unwrap();
//! let out: io::Result<()> = policy.run(|| async { Err(io::ErrorKind::ConnectionReset.into()) }).await;
//! assert!(out.is_err()); // three attempts, then the last error
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod batch;
pub mod circuit_breaker;
mod classify;
mod context;
mod counters;
mod error;
pub mod executor;
pub mod fallback;
pub mod heal;
pub mod metrics;
pub mod policy;
#[doc(hidden)]
pub mod private;
pub mod retry;
mod rng;
mod sync;
pub mod timeout;

pub use batch::{Batch, ItemError};
pub use circuit_breaker::{BreakerConfig, CircuitBreaker};
pub use classify::{ByTransient, Classify, RetryIf, Transient, Verdict};
pub use context::{attempt, Attempt, IdempotencyKey, Scoped};
pub use error::{CircuitOpen, ConfigError, TimedOut};
pub use heal::Heal;
pub use retry::{Jitter, RetryConfig, RetryPolicy, Schedule};
pub use rng::seed_jitter;
