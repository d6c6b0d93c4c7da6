use std::time::Duration;

use resilient_async::Transient;

#[derive(Debug, Transient)]
#[transient]
struct RateLimited {
    #[retry_after]
    wait: Duration,
}

#[derive(Debug, Transient)]
#[transient]
struct Throttled(#[retry_after] Option<Duration>);

#[derive(Debug, Transient)]
#[permanent]
struct Forbidden;

fn main() {
    let limited = RateLimited { wait: Duration::from_millis(10) };
    assert!(limited.is_transient());
    assert_eq!(limited.retry_after(), Some(Duration::from_millis(10)));
    assert_eq!(Throttled(None).retry_after(), None);
    assert!(!Forbidden.is_transient());
}
