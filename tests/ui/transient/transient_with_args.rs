use resilient::Transient;

#[derive(Transient)]
enum ApiError {
    #[transient(x)]
    Busy,
}

fn main() {}
