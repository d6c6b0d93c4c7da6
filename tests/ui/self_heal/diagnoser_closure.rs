use resilient::self_heal;

#[self_heal(diagnoser = |_| async { resilient::Heal::Retry })]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
