//! What the attributes cost at compile time: generated crates of 200
//! `async fn`s, plain, with the same resilience written by hand, and
//! annotated, built in one target directory (dependencies built once
//! beforehand), clean and incremental, in interleaved rounds. Run with
//! `cargo bench --bench compile_cost`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const FUNCTIONS: usize = 200;
const ROUNDS: usize = 3;

/// The crates compared, each of `FUNCTIONS` functions with one body.
const CRATES: [(&str, &str); 4] = [
    ("plain", "no resilience"),
    (
        "hand_written",
        "retry loop + `tokio::time::timeout`, by hand",
    ),
    ("annotated", "`#[retry]` + `#[timeout]`"),
    (
        "mixed",
        "a third each: `#[retry]`, `#[circuit_breaker]`, all three",
    ),
];

fn source(krate: &str) -> String {
    let mut s = String::from(
        "#![allow(dead_code, unused_imports)]\nuse std::io;\nuse std::time::Duration;\n\
         use resilient_async::{circuit_breaker, retry, timeout};\n",
    );
    for i in 0..FUNCTIONS {
        let body = format!("Ok(x + name.len() as u64 + {i})");
        let attributes = match (krate, i % 3) {
            ("annotated", _) => "#[retry(max = 3, backoff = \"100ms\")]\n#[timeout(\"1s\")]\n",
            ("mixed", 0) => "#[retry(max = 3, backoff = \"100ms\", jitter)]\n",
            ("mixed", 1) => "#[circuit_breaker(threshold = 5, cooldown = \"30s\")]\n",
            ("mixed", _) => "#[retry(max = 2)]\n#[circuit_breaker]\n#[timeout(\"2s\")]\n",
            _ => "",
        };
        let body = if krate == "hand_written" {
            format!(
                "let mut delay = Duration::from_millis(100);\n    let mut retries = 0;\n    loop {{\n        \
                 let out: io::Result<u64> = tokio::time::timeout(Duration::from_secs(1), async {{ {body} }}).await\n            \
                 .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()));\n        \
                 match out {{\n            Err(e) if retries < 3 && e.kind() == io::ErrorKind::TimedOut => {{\n                \
                 tokio::time::sleep(delay).await;\n                delay *= 2;\n                retries += 1;\n            }}\n            \
                 out => return out,\n        }}\n    }}"
            )
        } else {
            body
        };
        s.push_str(&format!(
            "{attributes}pub async fn call_{i}(x: u64, name: &str) -> io::Result<u64> {{\n    {body}\n}}\n"
        ));
    }
    s
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn cargo(dir: &Path, args: &[&str]) -> Duration {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let start = Instant::now();
    let status = Command::new(cargo)
        .args(args)
        .current_dir(dir)
        .env_remove("RUSTFLAGS")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(
        status.success(),
        "cargo {args:?} failed in {}",
        dir.display()
    );
    start.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let dir = root.join("target").join("compile-cost");
    let resilient = root.display().to_string().replace('\\', "/");
    let names = CRATES.map(|(name, _)| name);
    write(
        &dir.join("Cargo.toml"),
        &format!("[workspace]\nmembers = {names:?}\nresolver = \"2\"\n"),
    );
    for name in names {
        write(
            &dir.join(name).join("Cargo.toml"),
            &format!(
                "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
                 [dependencies]\nresilient-async = {{ path = \"{resilient}\" }}\n\
                 tokio = {{ version = \"1\", features = [\"time\"] }}\n"
            ),
        );
        write(&dir.join(name).join("src/lib.rs"), &source(name));
    }
    // Dependencies once, untimed.
    cargo(&dir, &["build", "--workspace"]);

    let mut clean = vec![Vec::new(); CRATES.len()];
    let mut same = vec![Vec::new(); CRATES.len()];
    let mut shifted = vec![Vec::new(); CRATES.len()];
    for _ in 0..ROUNDS {
        for (i, name) in names.into_iter().enumerate() {
            cargo(&dir, &["clean", "-p", name]);
            clean[i].push(cargo(&dir, &["build", "-p", name]));
            // An edit to the first function's body, then a rebuild: one that
            // keeps its length, and one that moves everything after it.
            let lib = dir.join(name).join("src/lib.rs");
            let text = std::fs::read_to_string(&lib).unwrap();
            for (edit, times) in [("Ok(x - ", &mut same), ("Ok(1 + x + ", &mut shifted)] {
                write(&lib, &text.replacen("Ok(x + ", edit, 1));
                times[i].push(cargo(&dir, &["build", "-p", name]));
                write(&lib, &text);
                cargo(&dir, &["build", "-p", name]);
            }
        }
    }
    let [clean, same, shifted] =
        [clean, same, shifted].map(|t| t.into_iter().map(median).collect::<Vec<_>>());
    println!("\n### 6. Compile cost: {FUNCTIONS} functions, debug build, median of {ROUNDS}\n");
    println!("| crate | build | time | to plain | to hand-written |");
    println!("|---|---|---:|---:|---:|");
    for (i, (_, label)) in CRATES.iter().enumerate() {
        for (build, t) in [
            ("clean (the crate only)", &clean),
            ("one body edited, same length", &same),
            ("one body edited, code after it moved", &shifted),
        ] {
            println!(
                "| {label} | {build} | {:.2} s | {:.2}× | {:.2}× |",
                t[i].as_secs_f64(),
                t[i].as_secs_f64() / t[0].as_secs_f64(),
                t[i].as_secs_f64() / t[1].as_secs_f64(),
            );
        }
    }
}
