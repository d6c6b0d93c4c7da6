//! One registry for everything that can be looked up by name: each
//! function's figures, breakers, fallback chains and healers.
//!
//! The attributes list their statics when the program is linked (with
//! `inventory`), so every annotated function and named breaker is found
//! before its first call. Things made at run time (an executor's tools, a
//! breaker built by hand) are listed when made and leave the list when
//! dropped.
//!
//! Every kind is found the same way: by its full path, `module::function`
//! (a named breaker's path is its name), or by its bare name while that
//! name is unambiguous.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use crate::circuit_breaker::{CircuitBreaker, KeyedBreakers, SharedBreaker};
use crate::fallback::Tiers;
use crate::heal::Healer;
use crate::metrics::Metrics;

/// A handle on something listed: a `'static` one (an annotated function's)
/// or a shared one (made at run time). It derefs to the thing itself.
///
/// ```
/// use resilient_core::metrics::{self, Metrics};
///
/// static F: Metrics = Metrics::new("handled", "my_app");
/// F.listed();
/// let handle = metrics::get("my_app::handled").unwrap();
/// assert_eq!(handle.name(), "handled");
/// ```
pub struct Handle<T: 'static>(Inner<T>);

enum Inner<T: 'static> {
    Static(&'static T),
    Shared(Arc<T>),
}

impl<T> Handle<T> {
    pub(crate) fn of_static(t: &'static T) -> Self {
        Handle(Inner::Static(t))
    }

    pub(crate) fn of_shared(t: Arc<T>) -> Self {
        Handle(Inner::Shared(t))
    }

    fn ptr(&self) -> *const T {
        &**self
    }
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        match &self.0 {
            Inner::Static(t) => Handle(Inner::Static(t)),
            Inner::Shared(t) => Handle(Inner::Shared(t.clone())),
        }
    }
}

impl<T> Deref for Handle<T> {
    type Target = T;
    fn deref(&self) -> &T {
        match &self.0 {
            Inner::Static(t) => t,
            Inner::Shared(t) => t,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

/// What the registry can list: its name, and the module of the function it
/// belongs to (empty for a named breaker or a tool).
pub(crate) trait Listed: 'static {
    fn name(&self) -> &str;
    fn module(&self) -> &str;

    /// `module::name`, or `name` alone without a module.
    fn path(&self) -> String {
        match self.module() {
            "" => self.name().to_string(),
            m => format!("{m}::{}", self.name()),
        }
    }
}

/// One entry listed at link time by an expansion.
#[doc(hidden)]
pub struct Entry(pub Item);

/// The things the registry holds.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub enum Item {
    /// A function's figures.
    Metrics(&'static Metrics),
    /// A function's own breaker, or one listed by hand.
    Breaker(&'static CircuitBreaker),
    /// A function's handle on a breaker shared by name.
    Shared(&'static SharedBreaker),
    /// A function's per-key breakers.
    Keyed(&'static KeyedBreakers),
    /// A function's fallback chain.
    Tiers(&'static Tiers),
    /// A function's healer.
    Healer(&'static Healer),
}

inventory::collect!(Entry);

/// Things listed at run time.
pub(crate) enum Dynamic {
    Item(Item),
    Metrics(Weak<Metrics>),
    Breaker(Weak<CircuitBreaker>),
}

static DYNAMIC: Mutex<Vec<Dynamic>> = Mutex::new(Vec::new());

fn dynamic() -> MutexGuard<'static, Vec<Dynamic>> {
    DYNAMIC.lock().unwrap_or_else(|p| p.into_inner())
}

/// Lists `item`, made at run time; listing it again changes nothing.
pub(crate) fn list(item: Item) {
    let mut d = dynamic();
    if !d
        .iter()
        .any(|e| matches!(e, Dynamic::Item(i) if i.addr() == item.addr()))
    {
        d.push(Dynamic::Item(item));
    }
}

impl Item {
    fn addr(self) -> usize {
        match self {
            Item::Metrics(m) => m as *const Metrics as usize,
            Item::Breaker(b) => b as *const CircuitBreaker as usize,
            Item::Shared(s) => s as *const SharedBreaker as usize,
            Item::Keyed(k) => k as *const KeyedBreakers as usize,
            Item::Tiers(t) => t as *const Tiers as usize,
            Item::Healer(h) => h as *const Healer as usize,
        }
    }
}

/// Lists shared figures until they are dropped.
pub(crate) fn list_metrics(m: &Arc<Metrics>) {
    let mut d = dynamic();
    d.retain(alive);
    d.push(Dynamic::Metrics(Arc::downgrade(m)));
}

/// Lists a shared breaker until it is dropped.
pub(crate) fn list_breaker(b: &Arc<CircuitBreaker>) {
    let mut d = dynamic();
    d.retain(alive);
    d.push(Dynamic::Breaker(Arc::downgrade(b)));
}

fn alive(d: &Dynamic) -> bool {
    match d {
        Dynamic::Item(_) => true,
        Dynamic::Metrics(w) => w.strong_count() > 0,
        Dynamic::Breaker(w) => w.strong_count() > 0,
    }
}

/// A kind of thing the registry lists.
pub(crate) trait Kind: Listed + Sized {
    fn of(item: Item) -> Option<Handle<Self>>;
    fn of_dynamic(_: &Dynamic) -> Option<Handle<Self>> {
        None
    }
}

impl Kind for Metrics {
    fn of(item: Item) -> Option<Handle<Self>> {
        match item {
            Item::Metrics(m) => Some(Handle::of_static(m)),
            _ => None,
        }
    }
    fn of_dynamic(d: &Dynamic) -> Option<Handle<Self>> {
        match d {
            Dynamic::Metrics(w) => w.upgrade().map(Handle::of_shared),
            _ => None,
        }
    }
}

impl Kind for CircuitBreaker {
    fn of(item: Item) -> Option<Handle<Self>> {
        match item {
            Item::Breaker(b) => Some(Handle::of_static(b)),
            Item::Shared(s) => Some(Handle::of_static(s.get())),
            _ => None,
        }
    }
    fn of_dynamic(d: &Dynamic) -> Option<Handle<Self>> {
        match d {
            Dynamic::Breaker(w) => w.upgrade().map(Handle::of_shared),
            _ => None,
        }
    }
}

impl Kind for KeyedBreakers {
    fn of(item: Item) -> Option<Handle<Self>> {
        match item {
            Item::Keyed(k) => Some(Handle::of_static(k)),
            _ => None,
        }
    }
}

impl Kind for Tiers {
    fn of(item: Item) -> Option<Handle<Self>> {
        match item {
            Item::Tiers(t) => Some(Handle::of_static(t)),
            _ => None,
        }
    }
}

impl Kind for Healer {
    fn of(item: Item) -> Option<Handle<Self>> {
        match item {
            Item::Healer(h) => Some(Handle::of_static(h)),
            _ => None,
        }
    }
}

/// Every listed thing of kind `T`, each once, in the order of their paths.
pub(crate) fn all<T: Kind>() -> Vec<Handle<T>> {
    let mut out: Vec<Handle<T>> = Vec::new();
    let mut push = |h: Handle<T>| {
        if !out.iter().any(|o| std::ptr::eq(o.ptr(), h.ptr())) {
            out.push(h);
        }
    };
    for entry in inventory::iter::<Entry> {
        if let Some(h) = T::of(entry.0) {
            push(h);
        }
    }
    for d in dynamic().iter() {
        let h = match d {
            Dynamic::Item(item) => T::of(*item),
            other => T::of_dynamic(other),
        };
        if let Some(h) = h {
            push(h);
        }
    }
    out.sort_by_cached_key(|h| h.path());
    out
}

/// The thing of kind `T` at `query`: the one whose full path it is, else
/// the only one whose bare name it is. `None` when nothing matches, or
/// when a bare name matches several (give the full path then).
pub(crate) fn get<T: Kind>(query: &str) -> Option<Handle<T>> {
    let all = all::<T>();
    if let Some(exact) = all.iter().find(|h| h.path() == query) {
        return Some(exact.clone());
    }
    let mut named = all.into_iter().filter(|h| h.name() == query);
    match (named.next(), named.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// Puts every listed breaker, figure, chain and healer back as new:
/// breakers closed with no failures, every count at zero.
///
/// For tests that share a binary: a breaker one test opened would
/// otherwise refuse the next test's calls. Tests run in parallel threads,
/// so reset only what your test uses ([`reset`]) when others may be
/// running.
///
/// ```
/// resilient_core::registry::reset_all();
/// ```
pub fn reset_all() {
    for m in all::<Metrics>() {
        m.reset();
    }
    for b in all::<CircuitBreaker>() {
        b.reset_all();
    }
    for k in all::<KeyedBreakers>() {
        k.clear();
    }
    for t in all::<Tiers>() {
        t.reset();
    }
    for h in all::<Healer>() {
        h.reset();
    }
}

/// Puts back as new everything that belongs to the function (or named
/// breaker) at `path`: its figures, breaker, fallback chain and healer.
/// Returns how many things it reset.
///
/// ```
/// use resilient_core::metrics::Metrics;
///
/// static F: Metrics = Metrics::new("reset_me", "my_app");
/// F.listed();
/// assert_eq!(resilient_core::registry::reset("my_app::reset_me"), 1);
/// assert_eq!(F.snapshot().calls, 0);
/// ```
pub fn reset(path: &str) -> usize {
    let mut n = 0;
    if let Some(m) = get::<Metrics>(path) {
        m.reset();
        n += 1;
    }
    if let Some(b) = get::<CircuitBreaker>(path) {
        b.reset_all();
        n += 1;
    }
    if let Some(k) = get::<KeyedBreakers>(path) {
        k.clear();
        n += 1;
    }
    if let Some(t) = get::<Tiers>(path) {
        t.reset();
        n += 1;
    }
    if let Some(h) = get::<Healer>(path) {
        h.reset();
        n += 1;
    }
    n
}
