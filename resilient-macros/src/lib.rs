//! The attributes of [`resilient`](https://docs.rs/resilient). Depend on
//! `resilient`, not on this crate: its expansions refer to `resilient`'s
//! runtime, and their documentation is shown there.
#![forbid(unsafe_code)]

mod args;
mod expand;
mod item;
mod retry;
mod timeout;
mod transient;

use proc_macro::TokenStream;

use expand::Kind;

/// Retries an `async fn` returning `Result` on transient errors. See
/// `resilient::retry`.
#[proc_macro_attribute]
pub fn retry(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::Retry, args.into(), item.into()).into()
}

/// Bounds an `async fn` returning `Result` in time. See `resilient::timeout`.
#[proc_macro_attribute]
pub fn timeout(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(Kind::Timeout, args.into(), item.into()).into()
}

/// Implements `Transient` from `#[transient]` / `#[permanent]` marks. See
/// `resilient::Transient`.
#[proc_macro_derive(
    Transient,
    attributes(transient, permanent, delegate, retry_after, resilient)
)]
pub fn derive_transient(input: TokenStream) -> TokenStream {
    transient::derive(input.into()).into()
}
