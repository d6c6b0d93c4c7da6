// An error type from another crate: the notes say what is possible (a
// predicate, a wrapper of one's own, the ready impls), never an impl the
// orphan rule forbids.
use resilient_async::{circuit_breaker, retry, timeout};

#[retry]
async fn format() -> Result<String, std::fmt::Error> {
    Ok(String::new())
}

#[timeout("1s")]
async fn late() -> Result<String, std::fmt::Error> {
    Ok(String::new())
}

#[circuit_breaker]
async fn guarded() -> Result<String, std::fmt::Error> {
    Ok(String::new())
}

fn main() {}
