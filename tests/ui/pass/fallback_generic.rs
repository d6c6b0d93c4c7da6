use std::fmt::{Debug, Display};
use std::io;
use std::num::ParseIntError;

use resilient_async::fallback;

async fn first_or_default<T: Clone + Debug>(items: Vec<T>, default: &T) -> io::Result<T> {
    let _ = items;
    Ok(default.clone())
}

#[fallback(first_or_default)]
async fn first<T>(items: Vec<T>, default: &T) -> io::Result<T>
where
    T: Clone + Debug,
{
    let _ = default;
    items
        .into_iter()
        .next()
        .ok_or_else(|| io::ErrorKind::NotFound.into())
}

async fn parse_trimmed<E: From<ParseIntError> + Display>(text: &str) -> Result<u32, E> {
    Ok(text.trim().parse::<u32>()?)
}

/// A turbofish names the alternative's instantiation.
#[fallback(parse_trimmed::<E>)]
async fn parse<E>(text: &str) -> Result<u32, E>
where
    E: From<ParseIntError> + Display,
{
    Ok(text.parse::<u32>()?)
}

#[derive(Debug)]
struct BadNumber;

impl From<ParseIntError> for BadNumber {
    fn from(_: ParseIntError) -> Self {
        BadNumber
    }
}

impl Display for BadNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("bad number")
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    assert_eq!(first(vec![1, 2], &9).await.unwrap(), 1);
    assert_eq!(first(Vec::new(), &9).await.unwrap(), 9);
    assert_eq!(
        first(Vec::<String>::new(), &"x".to_owned()).await.unwrap(),
        "x"
    );
    assert_eq!(parse::<BadNumber>(" 7").await.unwrap(), 7);
    assert_eq!(parse::<ParseIntError>("8").await.unwrap(), 8);
    assert!(parse::<BadNumber>("x").await.is_err());
    let chain = resilient_async::fallback::get("parse").unwrap().snapshot();
    assert_eq!(chain.tiers[1].name, "parse_trimmed");
    assert_eq!((chain.tiers[1].served, chain.tiers[1].failures), (1, 1));
}
