// Two attributes of one function give two different runtime paths.
use resilient_async::{retry, timeout};

#[retry(max = 2, crate = "resilient_async")]
#[timeout("1s", crate = "my_reexport")]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
