use std::fmt::{self, Display};
use std::io;

use resilient_async::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Busy;

impl Display for Busy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("busy")
    }
}

#[retry(max = 2)]
async fn first<T, E>(items: Vec<T>) -> Result<Option<T>, E>
where
    T: Clone,
    E: Transient + Display,
{
    Ok(items.into_iter().next())
}

#[retry(max = 2)]
async fn parse<S: AsRef<str>>(text: &S) -> io::Result<usize> {
    Ok(text.as_ref().len())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(first::<u8, Busy>(vec![1, 2]).await.unwrap(), Some(1));
    assert_eq!(first::<u8, io::Error>(Vec::new()).await.unwrap(), None);
    assert_eq!(parse(&"abc").await.unwrap(), 3);
}
