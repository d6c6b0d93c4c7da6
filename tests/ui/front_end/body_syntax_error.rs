// An error inside the body is rustc's own, exactly as without the attribute.
use resilient_async::retry;

#[retry(max = 2)]
async fn fetch() -> std::io::Result<u32> {
    let x = ;
    Ok(x)
}

fn main() {}
