use std::time::Duration;

use resilient_async::Transient;

#[derive(Transient)]
enum ApiError {
    #[transient]
    RateLimited {
        #[retry_after]
        wait: Duration,
        #[retry_after]
        other: Duration,
    },
}

fn main() {}
