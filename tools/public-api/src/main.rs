//! Prints the public API in a rustdoc JSON file, one item a line: what
//! `api/*.txt` holds and `.ci/public-api` compares.
//!
//! The JSON comes from `cargo rustdoc -- -Z unstable-options
//! --output-format json`, which the stable toolchain gives with
//! `RUSTC_BOOTSTRAP=1`; `public-api` reads the format this toolchain
//! writes.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: resilient-public-api <rustdoc.json>");
        std::process::exit(2);
    };
    // What a type is (its own items and trait impls), not what every type
    // gets for free (blanket and auto-trait impls, derives).
    let listing = public_api::Builder::from_rustdoc_json(&path)
        .omit_blanket_impls(true)
        .omit_auto_trait_impls(true)
        .omit_auto_derived_impls(true)
        .build();
    match listing {
        Ok(api) => {
            for item in api.items() {
                println!("{item}");
            }
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    }
}
