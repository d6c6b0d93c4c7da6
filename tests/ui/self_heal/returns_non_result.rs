use resilient_async::{self_heal, Heal};

async fn diagnose(_error: &std::io::Error) -> Heal {
    Heal::Retry
}

#[self_heal(diagnoser = diagnose)]
async fn fetch() -> Option<u32> {
    Some(1)
}

fn main() {}
