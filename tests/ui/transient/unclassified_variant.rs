use resilient_async::Transient;

#[derive(Transient)]
enum ApiError {
    #[transient]
    Busy,
    NotFound,
}

fn main() {}
