//! Golden files for the YAML format: `tests/config/NAME.yaml` → `NAME.out`.
//!
//! For each `NAME.yaml` (all named `yaml-*` so they never share an `.out`
//! with a `.conf` case):
//! - `NAME.args` (optional) holds command-line overrides, one per line, in
//!   config syntax (`port 5000` stands for `--port 5000`);
//! - `NAME.out` is either the rendered error, or the parsed model followed
//!   by the regenerated YAML file.
//!
//! Every successful case also checks the round trip
//! `load(render(config)) == config` and that rendering twice changes
//! nothing. Every `.conf` golden case that loads is also rendered as YAML
//! and loaded back, so both formats mean the same model.
//!
//! `UPDATE_GOLDENFILES=1 cargo test --test config_yaml` rewrites the `.out`
//! files; review the diff like code.

mod golden;

use std::fs;
use std::path::{Path, PathBuf};

use rsentinel::config::{Config, Format, load_str, parse_with_overrides, render};

use golden::{dir as golden_dir, read_lines};

/// Renders `config` as YAML and checks it loads back to the same model.
fn round_trip(name: &str, config: &Config) -> String {
    let yaml = render(Format::Yaml, "", config);
    assert_eq!(
        load_str(Format::Yaml, &yaml, &[]).as_ref(),
        Ok(config),
        "{name}: YAML does not round-trip:\n{yaml}"
    );
    assert_eq!(render(Format::Yaml, &yaml, config), yaml, "{name}: a second render changed it");
    yaml
}

/// The `.out` text for one case.
fn run_case(path: &Path) -> String {
    let name = path.file_name().expect("file name").to_string_lossy().into_owned();
    let text = fs::read_to_string(path).expect("read .yaml");
    let overrides = read_lines(&path.with_extension("args"));
    match load_str(Format::Yaml, &text, &overrides) {
        Err(e) => e.render(&name),
        Ok(config) => {
            let yaml = round_trip(&name, &config);
            format!("=== parsed\n{config:#?}\n=== rendered\n{yaml}")
        }
    }
}

fn cases(extension: &str) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = fs::read_dir(golden_dir())
        .expect("tests/config exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    paths.sort();
    paths
}

#[test]
fn golden_files() {
    let yamls = cases("yaml");
    assert!(yamls.len() >= 20, "golden files missing: {yamls:?}");
    for yaml in &yamls {
        let stem = yaml.file_stem().expect("stem").to_string_lossy();
        assert!(stem.starts_with("yaml-"), "{}: YAML cases are named yaml-*", yaml.display());
    }
    golden::check(&yamls, run_case);
}

#[test]
fn every_loadable_conf_case_means_the_same_in_yaml() {
    let mut checked = 0;
    for conf in cases("conf") {
        let name = conf.display().to_string();
        let text = fs::read_to_string(&conf).expect("read .conf");
        let overrides = read_lines(&conf.with_extension("args"));
        if let Ok(config) = parse_with_overrides(&text, &overrides) {
            round_trip(&name, &config);
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} .conf cases load");
}

#[test]
fn format_follows_the_extension() {
    for (path, want) in [
        ("sentinel.yaml", Format::Yaml),
        ("/etc/s/sentinel.YML", Format::Yaml),
        ("sentinel.conf", Format::Conf),
        ("sentinel", Format::Conf),
        ("yaml", Format::Conf),
    ] {
        assert_eq!(Format::from_path(Path::new(path)), want, "{path}");
    }
}

#[test]
fn overrides_apply_after_the_yaml_file() {
    let yaml = "port: 1\nmasters:\n  m: {host: 127.0.0.1, port: 6379, quorum: 2}\n";
    let overrides = [
        vec!["port".to_string(), "5000".into()],
        ["sentinel", "down-after-milliseconds", "m", "700"].map(String::from).to_vec(),
    ];
    let config = load_str(Format::Yaml, yaml, &overrides).expect("loads");
    assert_eq!(config.server.port, 5000);
    assert_eq!(config.masters[0].down_after_ms, 700);
    let bad = [vec!["port".to_string(), "x".into()]];
    let e = load_str(Format::Yaml, yaml, &bad).expect_err("bad override");
    assert_eq!((e.line, e.path.as_deref(), e.text.as_str()), (None, None, "port x"));
}

#[test]
fn tricky_strings_survive() {
    let mut config =
        load_str(Format::Yaml, "masters:\n  m: {host: ::1, port: 1, quorum: 1}\n", &[])
            .expect("loads");
    for pass in ["", "~", "null", "yes", "123", "a b \" ' #x", "- x", "x: y", "{x}", "\u{e9}\n\t"] {
        config.masters[0].auth_pass = Some(pass.to_string().into());
        config.server.requirepass = Some(pass.to_string()).filter(|p| !p.is_empty());
        round_trip(&format!("password {pass:?}"), &config);
    }
}
