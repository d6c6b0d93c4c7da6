//! Circuit breakers: stop calling a service that keeps failing, fail fast
//! instead, and probe after a cooldown to find out when it is back.
//!
//! ```text
//!            threshold consecutive failures,
//!            or failure_rate over the window
//!   CLOSED ─────────────────────────────────────▶ OPEN ◀──────────┐
//!     ▲                                            │               │
//!     │ close_after probe successes                │ cooldown over │ a probe fails
//!     │                                            ▼               │ (cooldown grows
//!     └────────────────────────────────────── HALF_OPEN ───────────┘  to max_cooldown)
//!                                    half_open probes run; the rest are rejected
//! ```
//!
//! A refused call fails with [`CircuitOpen`](crate::CircuitOpen), which
//! tells how long until the next probe. [`isolate`](CircuitBreaker::isolate)
//! holds a breaker open by hand until [`reset`](CircuitBreaker::reset).

mod breaker;
pub(crate) mod clock;
mod config;
mod sharing;
mod state;
mod window;

#[cfg(all(test, loom))]
mod loom_tests;

#[cfg(feature = "tower")]
pub(crate) use breaker::Ticket;
pub use breaker::{
    BreakerCall, BreakerSnapshot, CircuitBreaker, Head, KeyedBreaker, Owned, Permit, SharedHead,
    Transition,
};
pub use config::{BreakerConfig, BreakerPolicy, Window};
pub use sharing::{all, get, keyed, KeyedBreakers, SharedBreaker};
pub use state::State;
