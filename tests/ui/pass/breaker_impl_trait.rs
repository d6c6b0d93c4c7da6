use std::fmt::Display;
use std::io;

use resilient_async::circuit_breaker;

/// Not `Clone`: the breaker runs the body once, so it is moved in.
#[circuit_breaker(threshold = 2)]
async fn greet(name: impl AsRef<str>, greeting: impl Into<String>) -> io::Result<String> {
    let mut out: String = greeting.into();
    out.push_str(name.as_ref());
    Ok(out)
}

#[circuit_breaker(threshold = 2)]
async fn sum(values: impl IntoIterator<Item = u32>) -> io::Result<u32> {
    Ok(values.into_iter().sum())
}

#[circuit_breaker(threshold = 2)]
async fn describe(id: u32) -> io::Result<impl Display> {
    if id == 0 {
        return Ok(String::from("zero"));
    }
    Ok(id.to_string())
}

#[circuit_breaker(threshold = 2)]
async fn items() -> Result<impl Iterator<Item = u8>, io::Error> {
    Ok(vec![1, 2].into_iter())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(greet("you", "hi ").await.unwrap(), "hi you");
    assert_eq!(greet(String::from("me"), String::from("hey ")).await.unwrap(), "hey me");
    assert_eq!(sum(vec![1, 2, 3]).await.unwrap(), 6);
    assert_eq!(describe(0).await.unwrap().to_string(), "zero");
    assert_eq!(items().await.unwrap().sum::<u8>(), 3);
}
