use resilient_async::{self_heal, Heal};

async fn diagnose(_error: &std::io::Error) -> Heal {
    Heal::Retry
}

#[self_heal(diagnoser = diagnose, max = 0)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
