use resilient_async::retry;

struct Payload(Vec<u8>);

#[retry]
async fn upload(payload: Payload) -> std::io::Result<usize> {
    Ok(payload.0.len())
}

fn main() {}
