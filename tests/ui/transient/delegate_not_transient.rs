use resilient_async::Transient;

struct Inner;

#[derive(Transient)]
enum ApiError {
    #[delegate]
    Inner(Inner),
}

fn main() {}
