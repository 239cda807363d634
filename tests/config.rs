//! Golden files for the config layer: `tests/config/NAME.conf` → `NAME.out`.
//!
//! For each `NAME.conf`:
//! - `NAME.args` (optional) holds command-line overrides, one per line, in
//!   config syntax (`port 5000` stands for `--port 5000`);
//! - `NAME.mutate` (optional) holds changes to apply to the parsed model
//!   before rewriting (see [`mutate`] for the commands);
//! - `NAME.out` is either the rendered error, or the parsed model followed
//!   by the rewritten file.
//!
//! Every successful case also checks the round trip
//! `parse(&rewrite(original, &config)) == Ok(config)`.
//!
//! `UPDATE_GOLDENFILES=1 cargo test --test config` rewrites the `.out`
//! files; review the diff like code.

mod golden;

use std::fs;
use std::path::{Path, PathBuf};

use rsentinel::config::{
    Config, ConfigError, KnownSentinel, parse, parse_with_overrides, persist, rewrite,
};
use rsentinel::core::{Addr, Epoch, RunId};

use golden::{dir as golden_dir, read_lines};

fn port(s: &str) -> u16 {
    s.parse().expect("port in .mutate")
}

fn number(s: &str) -> u64 {
    s.parse().expect("number in .mutate")
}

/// Applies one `.mutate` command to the model.
fn mutate(config: &mut Config, args: &[String]) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["port", p] => config.server.port = port(p),
        ["current-epoch", n] => config.sentinel.current_epoch = Epoch(number(n)),
        ["myid", id] => config.sentinel.myid = Some(RunId::from(id.to_string())),
        [cmd, name, rest @ ..] => {
            let m = config.master_mut(name).unwrap_or_else(|| panic!("no master {name}"));
            match (*cmd, rest) {
                ("config-epoch", [n]) => m.config_epoch = Epoch(number(n)),
                ("leader-epoch", [n]) => m.leader_epoch = Epoch(number(n)),
                ("auth-pass", [p]) => m.auth_pass = Some(p.to_string().into()),
                ("master-addr", [h, p]) => m.addr = Addr::new(*h, port(p)),
                ("add-replica", [h, p]) => m.known_replicas.push(Addr::new(*h, port(p))),
                ("remove-replica", [h, p]) => {
                    let addr = Addr::new(*h, port(p));
                    m.known_replicas.retain(|r| *r != addr);
                }
                ("add-sentinel", [h, p, id]) => m.known_sentinels.push(KnownSentinel {
                    addr: Addr::new(*h, port(p)),
                    runid: RunId::from(id.to_string()),
                }),
                ("remove-sentinel", [id]) => m.known_sentinels.retain(|s| s.runid.as_str() != *id),
                ("remove-master", []) => {
                    let name = name.to_string();
                    config.masters.retain(|m| m.name != name);
                }
                _ => panic!("bad mutation {args:?}"),
            }
        }
        _ => panic!("bad mutation {args:?}"),
    }
}

/// The `.out` text for one case.
fn run_case(conf: &Path) -> String {
    let name = conf.file_name().expect("file name").to_string_lossy().into_owned();
    let text = fs::read_to_string(conf).expect("read .conf");
    let overrides = read_lines(&conf.with_extension("args"));
    let mutations = read_lines(&conf.with_extension("mutate"));
    let parsed: Result<Config, ConfigError> = parse_with_overrides(&text, &overrides);
    let mut config = match parsed {
        Err(e) => return e.render(&name),
        Ok(config) => config,
    };
    let mut out = format!("=== parsed\n{config:#?}\n");
    for m in &mutations {
        mutate(&mut config, m);
    }
    let rewritten = rewrite(&text, &config);
    assert_eq!(
        parse(&rewritten).as_ref(),
        Ok(&config),
        "{name}: rewrite does not round-trip:\n{rewritten}"
    );
    assert_eq!(
        rewrite(&rewritten, &config),
        rewritten,
        "{name}: a second rewrite changed the file"
    );
    if mutations.is_empty() {
        out.push_str("=== rewritten\n");
    } else {
        out.push_str("=== rewritten after the .mutate changes\n");
    }
    out.push_str(&rewritten);
    out
}

#[test]
fn golden_files() {
    let mut confs: Vec<PathBuf> = fs::read_dir(golden_dir())
        .expect("tests/config exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    confs.sort();
    assert!(confs.len() >= 20, "golden files missing: {confs:?}");
    golden::check(&confs, run_case);
}

#[test]
fn sample_sentinel_confs_parse() {
    for port in [5000u16, 5001, 5002] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("sentinel-confs/{port}/sentinel.conf"));
        let config = parse(&fs::read_to_string(&path).expect("read")).expect("parse");
        assert_eq!(config.server.port, port);
        assert_eq!(config.masters[0].down_after_ms, 5000);
    }
}

#[test]
fn persist_replaces_the_file_and_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sentinel.conf");
    fs::write(&path, "port 1\n").expect("write");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
    rsentinel::config::check_writable(&path).expect("writable");

    persist(&path, "port 2\n").expect("persist");
    persist(&path, "port 3\n").expect("persist again");

    assert_eq!(fs::read_to_string(&path).expect("read"), "port 3\n");
    let mode = fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let names: Vec<_> =
        fs::read_dir(dir.path()).expect("ls").map(|e| e.expect("entry").file_name()).collect();
    assert_eq!(names, ["sentinel.conf"]);
}

#[test]
fn persist_creates_a_missing_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("new.conf");
    persist(&path, "port 2\n").expect("persist");
    assert_eq!(fs::read_to_string(&path).expect("read"), "port 2\n");
}

#[test]
fn persist_failures_leave_everything_intact() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The target is a directory: the rename fails after the temp file was written.
    let target = dir.path().join("conf.d");
    fs::create_dir(&target).expect("mkdir");
    fs::write(target.join("keep"), "x").expect("write");
    assert!(persist(&target, "port 2\n").is_err());
    assert_eq!(fs::read_to_string(target.join("keep")).expect("read"), "x");
    let names: Vec<_> =
        fs::read_dir(dir.path()).expect("ls").map(|e| e.expect("entry").file_name()).collect();
    assert_eq!(names, ["conf.d"], "temp file left behind");

    // The directory is missing: nothing is created.
    let missing = dir.path().join("nope/sentinel.conf");
    assert!(persist(&missing, "port 2\n").is_err());
    assert!(!dir.path().join("nope").exists());
}

#[test]
fn check_writable_names_the_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.conf");
    let err = rsentinel::config::check_writable(&missing).expect_err("missing");
    assert!(err.contains("missing.conf") && err.contains("No such file"), "{err}");
    let err = rsentinel::config::check_writable(dir.path()).expect_err("a directory");
    assert!(err.contains("is a directory"), "{err}");
}
