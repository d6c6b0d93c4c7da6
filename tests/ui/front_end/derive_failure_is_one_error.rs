// A derive that fails still implements the trait with a stand-in, so the
// functions that use the type get no second wave of errors.
use resilient_async::{retry, Transient};

#[derive(Debug, Transient)]
enum OcrError {
    #[transient]
    Unavailable,
    Unclassified,
}

impl std::fmt::Display for OcrError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

#[retry(max = 2)]
async fn read() -> Result<u32, OcrError> {
    Err(OcrError::Unavailable)
}

#[retry(max = 3)]
async fn read_again() -> Result<u32, OcrError> {
    Err(OcrError::Unclassified)
}

fn main() {}
