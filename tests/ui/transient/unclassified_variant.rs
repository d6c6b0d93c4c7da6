use resilient::Transient;

#[derive(Transient)]
enum ApiError {
    #[transient]
    Busy,
    NotFound,
}

fn main() {}
