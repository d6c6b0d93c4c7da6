use resilient_async::timeout;

#[timeout("1s")]
async fn fetch() -> Option<u32> {
    Some(1)
}

fn main() {}
