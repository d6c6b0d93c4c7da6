use resilient_async::Transient;

#[derive(Transient)]
enum ApiError {
    #[delegate]
    Io(std::io::Error, String),
}

fn main() {}
