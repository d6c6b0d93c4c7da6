use resilient_async::Transient;

#[derive(Transient)]
enum ApiError {
    #[transient]
    #[permanent]
    Busy,
}

fn main() {}
