//! Another executor's timer, installed with `timer::set_sleeper`: the
//! engines wait with it (here a virtual clock that records each wait and
//! completes at once), outside any Tokio runtime.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::Mutex;
use std::time::Duration;

use common::executor::block_on;
use common::ServiceError;
use resilient_async::timer::{self, Sleeper};
use resilient_async::{retry, self_heal, Heal};

static WAITS: Mutex<Vec<Duration>> = Mutex::new(Vec::new());

struct Virtual;

impl Sleeper for Virtual {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        WAITS.lock().unwrap().push(duration);
        Box::pin(std::future::ready(()))
    }
}

#[test]
fn retries_and_heal_rounds_wait_with_the_installed_sleeper() {
    timer::set_sleeper(Virtual).unwrap();
    assert!(timer::set_sleeper(Virtual).is_err());

    static CALLS: AtomicU32 = AtomicU32::new(0);
    #[retry(max = 3, backoff = "100ms")]
    async fn flaky() -> Result<u32, ServiceError> {
        match CALLS.fetch_add(1, SeqCst) {
            0 | 1 => Err(ServiceError::Unavailable(1)),
            n => Ok(n),
        }
    }
    assert_eq!(block_on(flaky()), Ok(2));
    assert_eq!(
        *WAITS.lock().unwrap(),
        [Duration::from_millis(100), Duration::from_millis(200)]
    );

    WAITS.lock().unwrap().clear();
    static ROUNDS: AtomicU32 = AtomicU32::new(0);
    async fn diagnose(_: &ServiceError) -> Heal {
        Heal::Retry
    }
    #[self_heal(diagnoser = diagnose, max = 2, backoff = "1s")]
    async fn healed() -> Result<u32, ServiceError> {
        match ROUNDS.fetch_add(1, SeqCst) {
            0 => Err(ServiceError::Unavailable(1)),
            n => Ok(n),
        }
    }
    assert_eq!(block_on(healed()), Ok(1));
    assert_eq!(*WAITS.lock().unwrap(), [Duration::from_secs(1)]);
}
