use resilient::Transient;

struct Inner;

#[derive(Transient)]
enum ApiError {
    #[delegate]
    Inner(Inner),
}

fn main() {}
