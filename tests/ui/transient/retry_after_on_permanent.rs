use std::time::Duration;

use resilient::Transient;

#[derive(Transient)]
enum ApiError {
    #[permanent]
    Forbidden {
        #[retry_after]
        wait: Duration,
    },
}

fn main() {}
