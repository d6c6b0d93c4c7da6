use resilient::Transient;

#[derive(Transient)]
enum ApiError {
    #[transient]
    #[permanent]
    Busy,
}

fn main() {}
