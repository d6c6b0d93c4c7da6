//! Retrying: the policy, its schedule of delays, and the engine that runs it.

mod backoff;
mod config;
mod engine;

pub use config::{Jitter, RetryConfig, RetryPolicy, Schedule};
pub use engine::Retrying;
