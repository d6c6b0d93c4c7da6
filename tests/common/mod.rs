//! An error type and a scripted flaky service for the integration tests.
#![allow(dead_code)]

pub mod executor;

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use resilient_async::{CircuitOpen, TimedOut, Transient};
use tokio::time::Instant;

#[derive(Debug, Clone, PartialEq, Transient)]
pub enum ServiceError {
    #[transient]
    Unavailable(u32),
    #[transient]
    RateLimited {
        #[retry_after]
        wait: Duration,
    },
    #[transient]
    TimedOut(TimedOut),
    #[delegate]
    Open(CircuitOpen),
    #[permanent]
    Unauthorized,
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceError::Unavailable(n) => write!(f, "503 on attempt {n}"),
            ServiceError::RateLimited { wait } => write!(f, "429, retry after {wait:?}"),
            ServiceError::TimedOut(t) => t.fmt(f),
            ServiceError::Open(o) => o.fmt(f),
            ServiceError::Unauthorized => f.write_str("401"),
        }
    }
}

impl From<CircuitOpen> for ServiceError {
    fn from(o: CircuitOpen) -> Self {
        ServiceError::Open(o)
    }
}

impl From<TimedOut> for ServiceError {
    fn from(t: TimedOut) -> Self {
        ServiceError::TimedOut(t)
    }
}

/// Records when each attempt started, relative to the first.
pub struct Clock {
    start: std::sync::Mutex<Option<Instant>>,
    marks: std::sync::Mutex<Vec<Duration>>,
}

impl Clock {
    pub const fn new_const() -> Self {
        Clock {
            start: std::sync::Mutex::new(None),
            marks: std::sync::Mutex::new(Vec::new()),
        }
    }

    pub fn mark(&self) {
        let now = Instant::now();
        let start = *self.start.lock().unwrap().get_or_insert(now);
        self.marks.lock().unwrap().push(now - start);
    }

    pub fn marks(&self) -> Vec<Duration> {
        self.marks.lock().unwrap().clone()
    }
}

pub fn secs(s: &[f64]) -> Vec<Duration> {
    s.iter().map(|s| Duration::from_secs_f64(*s)).collect()
}

/// Counts calls; fails the first `fail` of them.
pub struct Flaky {
    pub calls: AtomicU32,
    pub fail: u32,
}

impl Flaky {
    pub const fn new(fail: u32) -> Self {
        Flaky {
            calls: AtomicU32::new(0),
            fail,
        }
    }

    pub fn call(&self) -> Result<u32, ServiceError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n <= self.fail {
            Err(ServiceError::Unavailable(n))
        } else {
            Ok(n)
        }
    }

    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}
