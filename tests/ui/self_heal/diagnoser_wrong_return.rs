use resilient_async::self_heal;

async fn diagnose(_error: &std::io::Error) -> bool {
    true
}

#[self_heal(diagnoser = diagnose)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
