use resilient_async::Transient;

/// Every variant is transient unless marked otherwise.
#[derive(Debug, Transient)]
#[transient]
enum NetError {
    Reset,
    Refused,
    #[permanent]
    BadAddress,
}

fn main() {
    assert!(NetError::Reset.is_transient());
    assert!(NetError::Refused.is_transient());
    assert!(!NetError::BadAddress.is_transient());
    assert_eq!(NetError::Reset.retry_after(), None);
}
