use resilient::Transient;

#[derive(Transient)]
enum ApiError {
    #[delegate]
    Io(std::io::Error, String),
}

fn main() {}
