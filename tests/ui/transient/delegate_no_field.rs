use resilient::Transient;

#[derive(Transient)]
enum ApiError {
    #[delegate]
    Io,
}

fn main() {}
