mod reexport {
    pub use resilient_async::*;
}

#[reexport::circuit_breaker(threshold = 3, crate = "crate::reexport")]
#[reexport::circuit_breaker(threshold = 5, crate = "crate::reexport")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
