use std::io;

use resilient_async::retry;

/// `impl AsRef<str>` is lent to each attempt; `impl Into<String> + Clone` is cloned.
#[retry(max = 2)]
async fn greet(name: impl AsRef<str>, greeting: impl Into<String> + Clone) -> io::Result<String> {
    let mut out: String = greeting.into();
    out.push_str(name.as_ref());
    Ok(out)
}

#[retry(max = 2)]
async fn sum(values: impl IntoIterator<Item = u32> + Clone) -> io::Result<u32> {
    Ok(values.into_iter().sum())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(greet("you", "hi ").await.unwrap(), "hi you");
    assert_eq!(greet(String::from("me"), String::from("hey ")).await.unwrap(), "hey me");
    assert_eq!(sum(vec![1, 2, 3]).await.unwrap(), 6);
}
