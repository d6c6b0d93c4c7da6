use resilient_async::retry;

#[retry(deadline = 18446744073709551615)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
