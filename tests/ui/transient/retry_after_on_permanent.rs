use std::time::Duration;

use resilient_async::Transient;

#[derive(Transient)]
enum ApiError {
    #[permanent]
    Forbidden {
        #[retry_after]
        wait: Duration,
    },
}

fn main() {}
