//! The runtime of [`resilient-async`](https://docs.rs/resilient-async):
//! retry policies, backoff and jitter, timeouts, circuit breakers,
//! fallback chains, self-healing, error classification, per-function
//! figures, and the registry that finds them by name.
//!
//! It works on its own, without the attributes: build a [`RetryPolicy`] and
//! [`run`](RetryPolicy::run) any async operation through it, or guard calls
//! with a [`CircuitBreaker`]. The attributes of `resilient-async` are a
//! compile-time face over these same engines.
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
#![deny(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod batch;
pub mod circuit_breaker;
mod classify;
mod context;
mod counters;
mod error;
pub mod executor;
#[cfg(feature = "metrics")]
mod export;
pub mod fallback;
pub mod heal;
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub mod http;
mod latency;
pub mod metrics;
mod name;
pub mod policy;
#[doc(hidden)]
pub mod private;
pub mod registry;
pub mod retry;
mod rng;
mod step;
mod sync;
pub mod timeout;
pub mod timer;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod tower;

pub use batch::{Batch, ItemError};
pub use circuit_breaker::{BreakerConfig, BreakerPolicy, CircuitBreaker};
pub use classify::{
    AcceptAll, ByTransient, Classify, ClassifyResult, ResultVerdict, RetryIf, RetryOn, Transient,
    Verdict, WithHints,
};
pub use context::{attempt, Attempt, IdempotencyKey};
pub use error::{CircuitOpen, ConfigError, TimedOut};
pub use heal::{Heal, HealConfig, HealPolicy};
pub use name::Name;
pub use registry::Handle;
pub use retry::{Jitter, RetryConfig, RetryPolicy, Schedule};
pub use rng::seed_jitter;

pub(crate) use context::Call;
pub(crate) use step::{Show, Step};
