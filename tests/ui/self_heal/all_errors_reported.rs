use resilient_async::self_heal;

#[self_heal(diagnoser = "diagnose", max = 0, backoff = "1x", maxx = 2)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
