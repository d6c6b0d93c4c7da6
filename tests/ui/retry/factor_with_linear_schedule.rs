use resilient_async::retry;

#[retry(schedule = "linear", factor = 3.0)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
