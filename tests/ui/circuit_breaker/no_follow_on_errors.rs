// A refused value is reported once: the checks that compare other keys with
// it stay quiet rather than compare against the default.
use resilient_async::circuit_breaker;

#[circuit_breaker(cooldown = "abc", max_cooldown = "10s", half_open = 0, close_after = 2)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
