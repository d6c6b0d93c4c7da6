use resilient_async::{fallback, retry, self_heal, Heal};

async fn claude() -> std::io::Result<u32> {
    Ok(2)
}

async fn diagnose(_error: &std::io::Error) -> Heal {
    Heal::Retry
}

#[fallback(claude, cost = -0.03)]
#[self_heal(diagnoser = diagnose, max = 0)]
#[retry(attempts = 0)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
