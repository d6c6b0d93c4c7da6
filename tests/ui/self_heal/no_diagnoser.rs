use resilient_async::self_heal;

#[self_heal(max = 2)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
