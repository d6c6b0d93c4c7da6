use std::fmt::Display;
use std::io;

use resilient_async::fallback;

fn down() -> io::Error {
    io::ErrorKind::ConnectionReset.into()
}

async fn shout(name: impl AsRef<str>) -> io::Result<String> {
    Ok(name.as_ref().to_uppercase())
}

/// Not `Clone`: lent to the function, then moved into its one alternative.
#[fallback(shout)]
async fn greet(name: impl AsRef<str>) -> io::Result<String> {
    if name.as_ref().is_empty() {
        Ok("nobody".to_owned())
    } else {
        Err(down())
    }
}

async fn count(values: impl IntoIterator<Item = u32> + Clone) -> io::Result<u32> {
    let _ = values;
    Err(down())
}

async fn total(values: impl IntoIterator<Item = u32> + Clone) -> io::Result<u32> {
    Ok(values.into_iter().sum())
}

/// `Clone`: a copy for each tier but the last.
#[fallback(count, total)]
async fn sum(values: impl IntoIterator<Item = u32> + Clone) -> io::Result<u32> {
    let n = values.into_iter().count();
    Err(io::Error::other(format!("{n} values, no adder")))
}

async fn spelled(id: u32) -> io::Result<String> {
    Ok(format!("#{id}"))
}

/// An opaque return type: the alternatives return its concrete type.
#[fallback(spelled)]
async fn describe(id: u32) -> io::Result<impl Display> {
    if id == 0 {
        return Ok(String::from("zero"));
    }
    Err(down())
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    assert_eq!(greet("").await.unwrap(), "nobody");
    assert_eq!(greet("you").await.unwrap(), "YOU");
    assert_eq!(greet(String::from("me")).await.unwrap(), "ME");
    assert_eq!(sum(vec![1, 2, 3]).await.unwrap(), 6);
    assert_eq!(describe(0).await.unwrap().to_string(), "zero");
    assert_eq!(describe(4).await.unwrap().to_string(), "#4");
}
