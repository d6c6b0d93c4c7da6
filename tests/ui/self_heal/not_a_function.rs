use resilient_async::{self_heal, Heal};

async fn diagnose(_error: &std::io::Error) -> Heal {
    Heal::Retry
}

#[self_heal(diagnoser = diagnose)]
struct Fetch;

fn main() {}
