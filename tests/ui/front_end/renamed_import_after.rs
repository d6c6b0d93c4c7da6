// A renamed import is not recognised by the attribute that expands first:
// rather than nest it in the written order, it is an error that says how
// to write it.
use resilient_async::circuit_breaker as breaker;
use resilient_async::retry;

#[retry(max = 2)]
#[breaker(threshold = 5)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
