// Shapes that once broke the expansion: typed receivers, `mut` on a `&mut`
// argument, user items named like the expansion's bindings, and delegating
// derives over newtypes and generics.
#![deny(warnings)]
#![allow(non_upper_case_globals)]

use std::pin::Pin;

use resilient_async::{retry, Transient};

const result: u8 = 0;
const delay: u8 = 1;
const policy: u8 = 2;

struct Client {
    sent: u32,
}

impl Client {
    #[retry(max = 1)]
    async fn typed(self: &Self) -> std::io::Result<u32> {
        Ok(self.sent)
    }

    #[retry(max = 1)]
    async fn pinned(self: Pin<&mut Self>) -> std::io::Result<u32> {
        Ok(self.sent)
    }
}

#[retry(max = 2)]
async fn fill(mut buf: &mut Vec<u8>) -> std::io::Result<usize> {
    buf.push(result + delay + policy);
    buf = buf;
    Ok(buf.len())
}

#[retry(max = 2)]
async fn shadows() -> std::io::Result<u32> {
    let __resilient_metrics = 1;
    let __resilient_policy = 2;
    let __resilient_call = 3;
    Ok(__resilient_metrics + __resilient_policy + __resilient_call)
}

#[derive(Debug, Transient)]
#[delegate]
struct Wrapper(std::io::Error);

#[derive(Debug, Transient)]
enum Wrapped<E> {
    #[delegate]
    Inner(E),
    #[permanent]
    Other,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut client = Client { sent: 1 };
    assert_eq!(client.typed().await.unwrap(), 1);
    assert_eq!(Pin::new(&mut client).pinned().await.unwrap(), 1);
    let mut buf = Vec::new();
    assert_eq!(fill(&mut buf).await.unwrap(), 1);
    assert_eq!(shadows().await.unwrap(), 6);
    assert!(Wrapper(std::io::ErrorKind::TimedOut.into()).is_transient());
    assert!(Wrapped::Inner(Wrapper(std::io::ErrorKind::TimedOut.into())).is_transient());
    assert!(!Wrapped::<Wrapper>::Other.is_transient());
}
