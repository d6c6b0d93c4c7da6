//! Placeholder; replaced below.
#![forbid(unsafe_code)]

#[doc(inline)]
pub use resilient_core::*;
#[doc(inline)]
pub use resilient_macros::{retry, timeout, Transient};

#[doc(hidden)]
pub use resilient_core::private as __private;
