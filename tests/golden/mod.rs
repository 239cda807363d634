//! Golden files: each case's output is compared with the `.out` file beside
//! it; `UPDATE_GOLDENFILES=1` rewrites the `.out` files instead (review the
//! diff like code).

use std::fs;
use std::path::{Path, PathBuf};

/// Runs `run` on every case and compares (or updates) its `.out` file.
pub fn check(cases: &[PathBuf], run: impl Fn(&Path) -> String) {
    let update = std::env::var_os("UPDATE_GOLDENFILES").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    for case in cases {
        let got = run(case);
        let out = case.with_extension("out");
        if update {
            fs::write(&out, &got).expect("write .out");
        } else if fs::read_to_string(&out).ok().as_deref() != Some(got.as_str()) {
            failures.push(format!("{}:\n{got}", out.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "golden mismatch (UPDATE_GOLDENFILES=1 to regenerate):\n{}",
        failures.join("\n")
    );
}
