use resilient_async::Transient;

#[derive(Transient)]
enum ApiError {
    #[delegate]
    Io,
}

fn main() {}
