use std::io;
use std::time::Duration;

use resilient_async::Transient;

/// Variants are permanent unless marked otherwise.
#[derive(Debug, Transient)]
#[permanent]
enum ApiError {
    #[transient]
    Unavailable,
    #[transient]
    RateLimited {
        #[retry_after]
        wait: Duration,
        message: String,
    },
    #[transient]
    Throttled(#[retry_after] Option<Duration>, u16),
    #[delegate]
    Io(io::Error),
    #[delegate]
    Nested { inner: Box<ApiError> },
    Unauthorized,
    BadRequest(String),
}

fn main() {
    let limited = ApiError::RateLimited {
        wait: Duration::from_secs(3),
        message: String::new(),
    };
    assert!(limited.is_transient());
    assert_eq!(limited.retry_after(), Some(Duration::from_secs(3)));
    assert_eq!(
        ApiError::Throttled(Some(Duration::from_secs(1)), 429).retry_after(),
        Some(Duration::from_secs(1))
    );
    assert_eq!(ApiError::Throttled(None, 503).retry_after(), None);
    assert!(ApiError::Unavailable.is_transient());
    assert!(ApiError::Io(io::ErrorKind::ConnectionReset.into()).is_transient());
    assert!(!ApiError::Io(io::ErrorKind::NotFound.into()).is_transient());
    assert!(ApiError::Nested { inner: Box::new(ApiError::Unavailable) }.is_transient());
    assert!(!ApiError::Unauthorized.is_transient());
    assert!(!ApiError::BadRequest(String::new()).is_transient());
    if let ApiError::RateLimited { message, .. } = limited {
        assert!(message.is_empty());
    }
    if let ApiError::Throttled(_, code) = ApiError::Throttled(None, 503) {
        assert_eq!(code, 503);
    }
    if let ApiError::BadRequest(text) = ApiError::BadRequest("x".into()) {
        assert_eq!(text, "x");
    }
}
