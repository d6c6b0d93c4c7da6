use resilient_async::Transient;

#[derive(Transient)]
enum ApiError {
    #[transient(x)]
    Busy,
}

fn main() {}
