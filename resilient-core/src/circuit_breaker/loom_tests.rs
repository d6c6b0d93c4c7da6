//! Loom models of the state machine: every interleaving of a few callers
//! around the transitions. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p resilient-core --lib --release loom`.

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;

use super::state::{Admit, Change, Core, Rejected, State};

const COOLDOWN: u64 = 100;

/// A core that opened at 0 and whose cooldown is over at `COOLDOWN`.
fn open_core() -> Arc<Core> {
    let core = Core::new();
    core.force(State::Open, 0, COOLDOWN).unwrap();
    Arc::new(core)
}

fn spawn<T: Send + 'static>(n: usize, f: impl Fn(usize) -> T + Send + Sync + 'static) -> Vec<T> {
    let f = Arc::new(f);
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let f = f.clone();
            thread::spawn(move || f(i))
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn loom_half_open_admits_exactly_the_probes_allowed() {
    for half_open in [1u32, 2] {
        loom::model(move || {
            let core = open_core();
            let admitted = Arc::new(AtomicUsize::new(0));
            let c = core.clone();
            let a = admitted.clone();
            let changes = spawn(3, move |_| match c.acquire(|| COOLDOWN, half_open) {
                Ok((Admit::Probe { .. }, change)) => {
                    a.fetch_add(1, SeqCst);
                    change
                }
                Ok((Admit::Call { .. }, _)) => panic!("a call admitted while not closed"),
                Err(why) => {
                    assert_eq!(why, Rejected::Probing);
                    None
                }
            });
            // Every permit is taken and none twice; one caller made the move.
            assert_eq!(admitted.load(SeqCst), half_open as usize);
            assert_eq!(core.probes_taken(), half_open);
            let moves: Vec<Change> = changes.into_iter().flatten().collect();
            assert_eq!(moves.len(), 1);
            assert_eq!((moves[0].from, moves[0].to), (State::Open, State::HalfOpen));
        });
    }
}

#[test]
fn loom_probes_close_or_reopen_exactly_once() {
    loom::model(|| {
        let core = open_core();
        let (Admit::Probe { epoch }, _) = core.acquire(|| COOLDOWN, 2).unwrap() else {
            panic!()
        };
        assert!(matches!(
            core.acquire(|| COOLDOWN, 2),
            Ok((Admit::Probe { .. }, None))
        ));
        let c = core.clone();
        // One probe succeeds, the other fails, at the same time.
        let changes = spawn(2, move |i| match i {
            0 => c.probe_success(epoch, 2),
            _ => c.probe_failure(epoch, COOLDOWN, COOLDOWN),
        });
        let moves: Vec<Change> = changes.into_iter().flatten().collect();
        // The failure always wins: the success alone cannot reach two.
        assert_eq!(moves.len(), 1);
        assert_eq!((moves[0].from, moves[0].to), (State::HalfOpen, State::Open));
        assert_eq!(core.state(), (State::Open, Some(2 * COOLDOWN)));
    });
}

#[test]
fn loom_a_cancelled_probe_gives_its_permit_back() {
    loom::model(|| {
        let core = open_core();
        let c = core.clone();
        // Two callers race for the one permit; the winner is cancelled.
        let results = spawn(2, move |_| match c.acquire(|| COOLDOWN, 1) {
            Ok((Admit::Probe { epoch }, _)) => {
                c.probe_cancelled(epoch);
                true
            }
            Ok(_) => panic!("a call admitted while not closed"),
            Err(_) => false,
        });
        assert!(results.iter().any(|&probed| probed));
        // Nothing is left taken, and the next caller gets to probe.
        assert_eq!(core.probes_taken(), 0);
        assert!(matches!(
            core.acquire(|| COOLDOWN, 1),
            Ok((Admit::Probe { .. }, None))
        ));
    });
}

#[test]
fn loom_concurrent_failures_open_once_and_publish_the_cooldown() {
    loom::model(|| {
        let core = Arc::new(Core::new());
        let Ok((Admit::Call { epoch }, None)) = core.acquire(|| 0, 1) else {
            panic!()
        };
        let c = core.clone();
        let results = spawn(3, move |i| match i {
            // Two failures reach the threshold of 2 together.
            0 | 1 => (c.closed_failure(epoch, 2, 10, COOLDOWN), None),
            // A caller arriving meanwhile never sees a stale cooldown.
            _ => (None, Some(c.acquire(|| 10, 1))),
        });
        let mut opened = 0;
        for (change, seen) in results {
            if let Some(change) = change {
                assert_eq!((change.from, change.to), (State::Closed, State::Open));
                opened += 1;
            }
            match seen {
                None | Some(Ok((Admit::Call { .. }, None))) => {}
                Some(Err(Rejected::Opening)) | Some(Err(Rejected::Until(110))) => {}
                Some(other) => panic!("saw {other:?}"),
            }
        }
        assert_eq!(opened, 1);
        assert_eq!(core.state(), (State::Open, Some(10 + COOLDOWN)));
    });
}

#[test]
fn loom_a_success_does_not_hide_a_concurrent_trip() {
    loom::model(|| {
        let core = Arc::new(Core::new());
        let Ok((Admit::Call { epoch }, None)) = core.acquire(|| 0, 1) else {
            panic!()
        };
        assert_eq!(core.closed_failure(epoch, 2, 0, COOLDOWN), None);
        let c = core.clone();
        let changes = spawn(2, move |i| match i {
            0 => {
                c.closed_success(epoch);
                None
            }
            _ => c.closed_failure(epoch, 2, 0, COOLDOWN),
        });
        let opened = changes.iter().flatten().count();
        // Either the failure came second of two in a row and opened the
        // breaker, or the success reset the count first; never both or a
        // half-applied mix.
        match core.state() {
            (State::Open, Some(COOLDOWN)) => assert_eq!(opened, 1),
            (State::Closed, None) => assert_eq!(opened, 0),
            other => panic!("state {other:?}"),
        }
    });
}
