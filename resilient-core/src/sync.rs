//! The atomics the breaker's state machine uses: `std`'s, or loom's when the
//! crate is built with `RUSTFLAGS="--cfg loom"` to model-check it.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::AtomicU64;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::AtomicU64;

/// A `const fn` normally, a plain `fn` under loom, whose atomics have no
/// `const` constructor.
macro_rules! loom_const_fn {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($args:tt)*) -> $ret:ty $body:block) => {
        #[cfg(not(loom))]
        $(#[$meta])* $vis const fn $name($($args)*) -> $ret $body
        #[cfg(loom)]
        $(#[$meta])* $vis fn $name($($args)*) -> $ret $body
    };
}
pub(crate) use loom_const_fn;
