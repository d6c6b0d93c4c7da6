//! Finding breakers by name, sharing one between functions, and keeping one
//! per key.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use foldhash::fast::FixedState;

use super::breaker::SharedHead;
use super::{BreakerPolicy, CircuitBreaker, KeyedBreaker, State};
use crate::registry::{self, Handle, Item, Listed};

/// The breaker at `name`: a function's (`"my_app::ocr::gpt4_vision"`, or
/// `"gpt4_vision"` while no other listed breaker has that name), a named
/// one (`name = "ocr"`: its path is its name), or one listed by hand. An
/// annotated function's breaker is found before its first call.
///
/// ```
/// use resilient_core::circuit_breaker::{self, BreakerPolicy, SharedBreaker, State};
///
/// static OCR: SharedBreaker = SharedBreaker::new("ocr_lookup", BreakerPolicy::DEFAULT);
/// OCR.get().isolate();
/// assert_eq!(circuit_breaker::get("ocr_lookup").unwrap().state(), State::Isolated);
/// ```
pub fn get(name: &str) -> Option<Handle<CircuitBreaker>> {
    registry::get(name)
}

/// Every listed breaker: each function's, each named one, each listed by
/// hand.
///
/// ```
/// use resilient_core::circuit_breaker;
///
/// for b in circuit_breaker::all() {
///     let s = b.snapshot();
///     println!("{}: {:?}, {} rejected", s.name, s.state, s.rejections);
/// }
/// ```
pub fn all() -> Vec<Handle<CircuitBreaker>> {
    registry::all()
}

/// The per-key breakers of the function at `name` (a
/// `#[circuit_breaker(key = ...)]` function's), found as [`get`] finds
/// breakers.
pub fn keyed(name: &str) -> Option<Handle<KeyedBreakers>> {
    registry::get(name)
}

/// The breakers shared by name, one per name for the life of the program.
static NAMED: Mutex<Vec<&'static CircuitBreaker>> = Mutex::new(Vec::new());

/// One breaker shared by every function that names it:
/// `#[circuit_breaker(name = "ocr")]`.
///
/// A named breaker is never a function's own breaker, even one with the
/// same name: `name = "f"` beside a function `f` gives two breakers, found
/// as `"f"` (the named one) and `"module::f"`. When functions sharing a
/// name give different policies, the one declared in the first module (by
/// path, then function name) applies, with a `tracing` warning.
///
/// ```
/// use resilient_core::circuit_breaker::{BreakerPolicy, SharedBreaker};
///
/// static A: SharedBreaker = SharedBreaker::new("vision_api", BreakerPolicy::DEFAULT);
/// static B: SharedBreaker = SharedBreaker::new("vision_api", BreakerPolicy::DEFAULT);
/// assert!(std::ptr::eq(A.get(), B.get()));
/// ```
#[derive(Debug)]
pub struct SharedBreaker {
    name: &'static str,
    /// The function that names it, for choosing a policy deterministically.
    function: (&'static str, &'static str),
    policy: BreakerPolicy,
    breaker: OnceLock<&'static CircuitBreaker>,
}

impl Listed for SharedBreaker {
    fn name(&self) -> &str {
        self.name
    }
    fn module(&self) -> &str {
        ""
    }
}

impl SharedBreaker {
    /// A handle on the breaker called `name`.
    pub const fn new(name: &'static str, policy: BreakerPolicy) -> Self {
        SharedBreaker::of_function(name, "", "", policy)
    }

    /// The handle of the function `function` in `module`.
    #[doc(hidden)]
    pub const fn of_function(
        name: &'static str,
        module: &'static str,
        function: &'static str,
        policy: BreakerPolicy,
    ) -> Self {
        SharedBreaker {
            name,
            function: (module, function),
            policy,
            breaker: OnceLock::new(),
        }
    }

    /// The breaker: found by name, or made on first use.
    #[inline]
    pub fn get(&self) -> &'static CircuitBreaker {
        self.breaker.get_or_init(|| self.find_or_make())
    }

    #[cold]
    fn find_or_make(&self) -> &'static CircuitBreaker {
        let mut named = NAMED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = named.iter().find(|b| b.name() == self.name) {
            return b;
        }
        let policy = self.agreed_policy();
        // One per name, for the life of the program: names are few.
        let b: &'static CircuitBreaker =
            Box::leak(Box::new(CircuitBreaker::new(self.name, policy)));
        named.push(b);
        registry::list(Item::Breaker(b));
        b
    }

    /// The policy of the first declaration of this name, and a warning
    /// when the declarations disagree.
    fn agreed_policy(&self) -> BreakerPolicy {
        let mut declared: Vec<&SharedBreaker> = vec![self];
        for entry in inventory::iter::<registry::Entry> {
            if let Item::Shared(s) = entry.0 {
                if s.name == self.name && !std::ptr::eq(s, self) {
                    declared.push(s);
                }
            }
        }
        declared.sort_by_key(|s| s.function);
        let first = declared[0];
        if declared.iter().any(|s| s.policy != first.policy) {
            tracing::warn!(
                target: "resilient",
                breaker = self.name,
                module = first.function.0,
                function = first.function.1,
                "functions sharing this breaker give different policies; the first declared applies",
            );
        }
        first.policy
    }
}

/// One breaker per key (per host, per tenant), all with one policy, at most
/// `capacity` of them: `#[circuit_breaker(key = expr)]`.
///
/// When a new key arrives and the map is full, a closed breaker not used
/// since the last time one was dropped goes first (an open breaker's memory
/// matters); then any closed one; then one not used lately. A used bit per
/// key tells, rather than a clock read on every call. A call through a
/// keyed breaker takes a shared read lock to find it; only a new key takes
/// the write lock. An idle per-key breaker holds about 240 bytes, map
/// included: its name and policy are one copy for all keys.
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
    module: &'static str,
    policy: BreakerPolicy,
    capacity: usize,
    keys: OnceLock<Keys>,
}

/// Made on first use: the map of keys, and the name and policy every key's
/// breaker shares.
#[derive(Debug)]
struct Keys {
    head: SharedHead,
    map: RwLock<HashMap<u64, Entry, FixedState>>,
}

#[derive(Debug)]
struct Entry {
    breaker: Arc<KeyedBreaker>,
    /// Used since the last eviction.
    used: AtomicBool,
}

impl Listed for KeyedBreakers {
    fn name(&self) -> &str {
        self.name
    }
    fn module(&self) -> &str {
        self.module
    }
}

impl KeyedBreakers {
    /// Breakers called `name`, one per key, at most `capacity` (at least 1).
    pub const fn new(name: &'static str, policy: BreakerPolicy, capacity: usize) -> Self {
        KeyedBreakers::of_function(name, "", policy, capacity)
    }

    /// The per-key breakers of the function `name` in `module`.
    #[doc(hidden)]
    pub const fn of_function(
        name: &'static str,
        module: &'static str,
        policy: BreakerPolicy,
        capacity: usize,
    ) -> Self {
        KeyedBreakers {
            name,
            module,
            policy,
            capacity: if capacity == 0 { 1 } else { capacity },
            keys: OnceLock::new(),
        }
    }

    /// The name the breakers share.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    fn keys(&self) -> &Keys {
        self.keys.get_or_init(|| Keys {
            head: SharedHead::new(self.name, self.module, self.policy),
            // The keys are hashes already; any fast mix will do.
            map: RwLock::new(HashMap::with_hasher(FixedState::with_seed(0))),
        })
    }

    fn map(&self) -> &RwLock<HashMap<u64, Entry, FixedState>> {
        &self.keys().map
    }

    /// The breaker for `key`, made on first use. Keys are told apart by a
    /// 64-bit hash.
    pub fn get<K: Hash + ?Sized>(&self, key: &K) -> Arc<KeyedBreaker> {
        let hash = key_hash(key);
        if let Some(e) = self
            .map()
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&hash)
        {
            // Written once per eviction round, not on every call.
            if !e.used.load(Relaxed) {
                e.used.store(true, Relaxed);
            }
            return e.breaker.clone();
        }
        self.insert(hash)
    }

    #[cold]
    fn insert(&self, hash: u64) -> Arc<KeyedBreaker> {
        let mut map = self.map().write().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = map.get(&hash) {
            return e.breaker.clone();
        }
        if map.len() >= self.capacity {
            // Closed before open, then unused before used; every key then
            // starts a new round unused.
            let victim = map
                .iter()
                .min_by_key(|(_, e)| {
                    (
                        e.breaker.state() != State::Closed,
                        e.used.swap(false, Relaxed),
                    )
                })
                .map(|(k, _)| *k);
            if let Some(k) = victim {
                map.remove(&k);
            }
        }
        let breaker = Arc::new(KeyedBreaker::with_head(self.keys().head.clone()));
        map.insert(
            hash,
            Entry {
                breaker: breaker.clone(),
                used: AtomicBool::new(false),
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

    /// Lists per-key breakers made by hand (once) for [`keyed`], and
    /// returns them. The attributes list theirs when the program is linked.
    pub fn listed(&'static self) -> &'static KeyedBreakers {
        registry::list(Item::Keyed(self));
        self
    }

    /// Drops every per-key breaker: for tests.
    pub(crate) fn clear(&self) {
        self.map()
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

/// A key's hash, the same in every call and process run of a build:
/// foldhash, several times faster than SipHash on short keys such as a
/// tenant or a host.
fn key_hash<K: Hash + ?Sized>(key: &K) -> u64 {
    FixedState::with_seed(0).hash_one(key)
}
