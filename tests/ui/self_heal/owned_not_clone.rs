use resilient_async::{self_heal, Heal};

struct Payload(Vec<u8>);

async fn diagnose(_error: &std::io::Error, _payload: &Payload) -> Heal {
    Heal::Retry
}

#[self_heal(diagnoser = diagnose)]
async fn upload(payload: Payload) -> std::io::Result<usize> {
    Ok(payload.0.len())
}

fn main() {}
