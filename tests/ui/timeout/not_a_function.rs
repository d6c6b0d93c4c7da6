use resilient_async::timeout;

#[timeout("1s")]
const LIMIT: u32 = 1;

fn main() {}
