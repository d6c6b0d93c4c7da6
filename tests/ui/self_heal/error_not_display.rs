use resilient_async::{self_heal, Heal};

#[derive(Debug)]
struct Busy;

async fn diagnose(_error: &Busy) -> Heal {
    Heal::Retry
}

#[self_heal(diagnoser = diagnose)]
async fn fetch() -> Result<u32, Busy> {
    Err(Busy)
}

fn main() {}
