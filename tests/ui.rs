//! Compile-time checks of the attributes: every rule has a failing case with
//! its expected message in `tests/ui/<attribute>/`, and every supported
//! function shape a passing case in `tests/ui/pass/`.
//!
//! The `.stderr` files depend on the compiler's wording; regenerate them with
//! `TRYBUILD=overwrite cargo test --all-features --test ui` and read the
//! diff before committing.

// rustc lists the impls of `Transient` in some messages, and the features
// add some: the snapshots are taken with every feature.
#[test]
#[cfg_attr(
    not(all(
        feature = "anyhow",
        feature = "reqwest",
        feature = "policy-files",
        feature = "tower"
    )),
    ignore = "the snapshots are taken with every feature: run with --all-features"
)]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/circuit_breaker/*.rs");
    t.compile_fail("tests/ui/fallback/*.rs");
    t.compile_fail("tests/ui/front_end/*.rs");
    t.compile_fail("tests/ui/retry/*.rs");
    t.compile_fail("tests/ui/self_heal/*.rs");
    t.compile_fail("tests/ui/timeout/*.rs");
    t.compile_fail("tests/ui/transient/*.rs");
}
