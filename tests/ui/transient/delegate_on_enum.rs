use resilient_async::Transient;

#[derive(Transient)]
#[delegate]
enum ApiError {
    Io(std::io::Error),
}

fn main() {}
