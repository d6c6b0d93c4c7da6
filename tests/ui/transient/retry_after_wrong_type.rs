use resilient_async::Transient;

#[derive(Transient)]
enum ApiError {
    #[transient]
    RateLimited {
        #[retry_after]
        seconds: u64,
    },
}

fn main() {}
