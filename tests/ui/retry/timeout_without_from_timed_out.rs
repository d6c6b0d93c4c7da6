use resilient_async::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Busy;

impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("busy")
    }
}

#[retry(max = 2, timeout = "1s")]
async fn fetch() -> Result<u32, Busy> {
    Ok(1)
}

fn main() {}
