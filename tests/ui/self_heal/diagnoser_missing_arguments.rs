use resilient_async::{self_heal, Heal};

async fn diagnose(_error: &std::io::Error) -> Heal {
    Heal::Retry
}

#[self_heal(diagnoser = diagnose)]
async fn fetch(url: &str, body: Vec<u8>) -> std::io::Result<usize> {
    Ok(url.len() + body.len())
}

fn main() {}
