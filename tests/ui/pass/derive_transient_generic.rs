use std::fmt::Debug;
use std::time::Duration;

use resilient_async::Transient;

#[derive(Debug, Transient)]
enum Wrapped<E: Transient, T>
where
    T: Debug,
{
    #[delegate]
    Inner(E),
    #[transient]
    Later {
        context: T,
        #[retry_after]
        wait: Duration,
    },
    #[permanent]
    Gave(T),
}

#[derive(Debug, Transient)]
#[transient]
struct Busy<'a> {
    service: &'a str,
}

fn main() {
    let inner: Wrapped<std::io::Error, u8> =
        Wrapped::Inner(std::io::ErrorKind::TimedOut.into());
    assert!(inner.is_transient());
    let later: Wrapped<std::io::Error, &str> = Wrapped::Later {
        context: "x",
        wait: Duration::from_secs(1),
    };
    assert_eq!(later.retry_after(), Some(Duration::from_secs(1)));
    assert!(!Wrapped::<std::io::Error, u8>::Gave(1).is_transient());
    let busy = Busy { service: "db" };
    assert!(busy.is_transient());
    assert_eq!(busy.service, "db");
}
