//! Golden files: each case's output is compared with the `.out` file beside
//! it; `UPDATE_GOLDENFILES=1` rewrites the `.out` files instead (review the
//! diff like code).

use std::fs;
use std::path::{Path, PathBuf};

use rsentinel::config::split_line;

/// Where the config golden cases live.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config")
}

/// Reads a file of config-syntax lines (a case's `.args`) into argument lists.
pub fn read_lines(path: &Path) -> Vec<Vec<String>> {
    let Ok(text) = fs::read_to_string(path) else { return Vec::new() };
    text.lines()
        .map(|l| split_line(l).unwrap_or_else(|e| panic!("{}: {l}: {e}", path.display())))
        .filter(|args| !args.is_empty())
        .collect()
}

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
