//! Finding breakers by name, sharing one between functions, and keeping one
//! per key.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use super::{clock, BreakerPolicy, BreakerSnapshot, CircuitBreaker};

static LISTED: Mutex<Vec<&'static CircuitBreaker>> = Mutex::new(Vec::new());
static FAMILIES: Mutex<Vec<&'static KeyedBreakers>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn list(breaker: &'static CircuitBreaker) {
    lock(&LISTED).push(breaker);
}

/// The listed breaker called `name`: an annotated function's (its name, or
/// its `name = "..."`), or one [`listed`](CircuitBreaker::listed) by hand.
/// `None` before its first call.
///
/// ```
/// use resilient_core::circuit_breaker::{self, BreakerConfig, SharedBreaker};
///
/// static OCR: SharedBreaker = SharedBreaker::new("ocr_lookup", match BreakerConfig::new().build() {
///     Ok(p) => p,
///     Err(_) => panic!(),
/// });
/// OCR.get().isolate();
/// assert_eq!(circuit_breaker::get("ocr_lookup").unwrap().state(), circuit_breaker::State::Isolated);
/// ```
pub fn get(name: &str) -> Option<&'static CircuitBreaker> {
    lock(&LISTED).iter().find(|b| b.name() == name).copied()
}

/// The figures of every listed breaker, in the order they were listed.
///
/// ```
/// use resilient_core::circuit_breaker;
///
/// for b in circuit_breaker::all() {
///     println!("{}: {:?}, {} rejected", b.name, b.state, b.rejections);
/// }
/// ```
pub fn all() -> Vec<BreakerSnapshot> {
    lock(&LISTED).iter().map(|b| b.snapshot()).collect()
}

/// The per-key breakers called `name` (a `#[circuit_breaker(key = ...)]`
/// function's), once one of them has been used.
pub fn keyed(name: &str) -> Option<&'static KeyedBreakers> {
    lock(&FAMILIES).iter().find(|f| f.name == name).copied()
}

/// One breaker shared by every function that names it:
/// `#[circuit_breaker(name = "ocr")]`. The first function to call through
/// it sets its policy; a later one with another policy gets a `tracing`
/// warning and the first policy.
///
/// ```
/// use resilient_core::circuit_breaker::{BreakerConfig, BreakerPolicy, SharedBreaker};
///
/// const POLICY: BreakerPolicy = match BreakerConfig::new().build() { Ok(p) => p, Err(_) => panic!() };
/// static A: SharedBreaker = SharedBreaker::new("vision_api", POLICY);
/// static B: SharedBreaker = SharedBreaker::new("vision_api", POLICY);
/// assert!(std::ptr::eq(A.get(), B.get()));
/// ```
#[derive(Debug)]
pub struct SharedBreaker {
    name: &'static str,
    policy: BreakerPolicy,
    breaker: OnceLock<&'static CircuitBreaker>,
}

impl SharedBreaker {
    /// A handle on the breaker called `name`.
    pub const fn new(name: &'static str, policy: BreakerPolicy) -> Self {
        SharedBreaker {
            name,
            policy,
            breaker: OnceLock::new(),
        }
    }

    /// The breaker: found by name, or made and listed on first use.
    #[inline]
    pub fn get(&self) -> &'static CircuitBreaker {
        self.breaker.get_or_init(|| self.find_or_make())
    }

    #[cold]
    fn find_or_make(&self) -> &'static CircuitBreaker {
        let mut listed = lock(&LISTED);
        if let Some(b) = listed.iter().find(|b| b.name() == self.name) {
            if *b.policy() != self.policy {
                tracing::warn!(target: "resilient", breaker = self.name, "functions sharing this breaker give different policies; the first one applies");
            }
            return b;
        }
        // One per name, for the life of the program: names are few.
        let b: &'static CircuitBreaker =
            Box::leak(Box::new(CircuitBreaker::new(self.name, self.policy)));
        b.registered.store(true, Relaxed);
        listed.push(b);
        b
    }
}

/// One breaker per key (per host, per tenant), all with one policy, at most
/// `capacity` of them: `#[circuit_breaker(key = expr)]`.
///
/// When a new key arrives and the map is full, the breaker used least
/// recently is dropped, preferring closed ones (an open breaker's memory
/// matters). A call through a keyed breaker takes a shared read lock to find
/// it; only a new key takes the write lock.
///
/// ```
/// use resilient_core::circuit_breaker::{BreakerConfig, BreakerPolicy, KeyedBreakers, State};
///
/// const POLICY: BreakerPolicy = match BreakerConfig::new().threshold(1).build() { Ok(p) => p, Err(_) => panic!() };
/// static PER_HOST: KeyedBreakers = KeyedBreakers::new("per_host", POLICY, 100);
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// PER_HOST.get("a.example").try_acquire().unwrap().failure();
/// assert_eq!(PER_HOST.get("a.example").state(), State::Open);
/// assert_eq!(PER_HOST.get("b.example").state(), State::Closed);
/// assert_eq!(PER_HOST.len(), 2);
/// # }
/// ```
#[derive(Debug)]
pub struct KeyedBreakers {
    name: &'static str,
    policy: BreakerPolicy,
    capacity: usize,
    map: OnceLock<RwLock<HashMap<u64, Entry>>>,
    registered: AtomicBool,
}

#[derive(Debug)]
struct Entry {
    breaker: Arc<CircuitBreaker>,
    last_used: AtomicU64,
}

impl KeyedBreakers {
    /// Breakers called `name`, one per key, at most `capacity` (at least 1).
    pub const fn new(name: &'static str, policy: BreakerPolicy, capacity: usize) -> Self {
        KeyedBreakers {
            name,
            policy,
            capacity: if capacity == 0 { 1 } else { capacity },
            map: OnceLock::new(),
            registered: AtomicBool::new(false),
        }
    }

    /// The name the breakers share.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    fn map(&self) -> &RwLock<HashMap<u64, Entry>> {
        self.map.get_or_init(|| RwLock::new(HashMap::new()))
    }

    /// The breaker for `key`, made on first use. Keys are told apart by a
    /// 64-bit hash.
    pub fn get<K: Hash + ?Sized>(&self, key: &K) -> Arc<CircuitBreaker> {
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        let hash = h.finish();
        let now = clock::now();
        if let Some(e) = self
            .map()
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&hash)
        {
            e.last_used.store(now, Relaxed);
            return e.breaker.clone();
        }
        self.insert(hash, now)
    }

    #[cold]
    fn insert(&self, hash: u64, now: u64) -> Arc<CircuitBreaker> {
        let mut map = self.map().write().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = map.get(&hash) {
            return e.breaker.clone();
        }
        if map.len() >= self.capacity {
            let victim = map
                .iter()
                .min_by_key(|(_, e)| {
                    (
                        e.breaker.state() != super::State::Closed,
                        e.last_used.load(Relaxed),
                    )
                })
                .map(|(k, _)| *k);
            if let Some(k) = victim {
                map.remove(&k);
            }
        }
        let breaker = Arc::new(CircuitBreaker::new(self.name, self.policy));
        map.insert(
            hash,
            Entry {
                breaker: breaker.clone(),
                last_used: AtomicU64::new(now),
            },
        );
        breaker
    }

    /// Breakers held now.
    pub fn len(&self) -> usize {
        self.map().read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no key has been seen (or all were dropped).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lists these breakers (once) for [`keyed`], and returns them.
    #[inline]
    pub fn listed(&'static self) -> &'static KeyedBreakers {
        if !self.registered.load(Relaxed) && !self.registered.swap(true, Relaxed) {
            lock(&FAMILIES).push(self);
        }
        self
    }
}
