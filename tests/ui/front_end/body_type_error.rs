// A type error in the body points at the body, as without the attribute.
use resilient_async::{circuit_breaker, retry, timeout};

#[retry(max = 2)]
#[circuit_breaker]
#[timeout("1s")]
async fn fetch() -> std::io::Result<u32> {
    let n: u32 = "one";
    Ok(n)
}

fn main() {}
