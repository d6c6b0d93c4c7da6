use resilient_async::{self_heal, Heal};

async fn diagnose(_: &std::io::Error) -> Heal {
    Heal::Retry
}

#[self_heal(diagnoser = diagnose, then = 3)]
async fn a() -> std::io::Result<()> {
    Ok(())
}

#[self_heal(diagnoser = diagnose, then = retry(attempts = 0, timeout = "1s"))]
async fn b() -> std::io::Result<()> {
    Ok(())
}

#[self_heal(diagnoser = diagnose, max = 2, then = retry(attempts = 3))]
async fn c() -> std::io::Result<()> {
    Ok(())
}

fn main() {}
