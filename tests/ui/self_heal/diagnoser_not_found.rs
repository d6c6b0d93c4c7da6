use resilient_async::self_heal;

#[self_heal(diagnoser = diagnose)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
