use resilient_async::retry;

#[retry(max = 2)]
fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
