use resilient_async::self_heal;

#[self_heal]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
