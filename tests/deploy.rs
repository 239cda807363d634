//! The systemd units in `deploy/systemd` load without a warning
//! (`systemd-analyze verify`, when installed) and run rsentinel as a
//! `Type=notify` service with `--supervised systemd`; the drop-in for
//! Debian's redis-sentinel.service replaces its ExecStart.

use std::path::Path;
use std::process::Command;

const UNITS: [&str; 2] = ["rsentinel.service", "rsentinel@.service"];

fn read(name: &str) -> String {
    std::fs::read_to_string(Path::new("deploy/systemd").join(name)).expect("unit file")
}

#[test]
fn units_are_notify_services_with_hardening() {
    for name in UNITS {
        let text = read(name);
        for line in [
            "Type=notify",
            "NoNewPrivileges=true",
            "ProtectSystem=strict",
            "ReadWritePaths=/etc/rsentinel",
            "LimitNOFILE=65535",
            "WatchdogSec=30",
        ] {
            assert!(text.lines().any(|l| l == line), "{name} has {line}");
        }
        let exec = text.lines().find(|l| l.starts_with("ExecStart=")).expect("ExecStart");
        assert!(exec.contains("--supervised systemd --daemonize no"), "{name}: {exec}");
    }
    assert!(read("rsentinel@.service").contains("/etc/rsentinel/sentinel-%i.conf"));
    let dropin = read("redis-sentinel.service.d-rsentinel.conf");
    let execs: Vec<&str> = dropin.lines().filter(|l| l.starts_with("ExecStart=")).collect();
    assert_eq!(execs[0], "ExecStart=", "Debian's ExecStart is cleared first");
    assert!(execs[1].contains("/etc/redis/sentinel.conf --supervised systemd --daemonize no"));
    assert!(dropin.contains("ExecPaths=/usr/local/bin/rsentinel"));
}

#[test]
fn systemd_analyze_verifies_the_units() {
    if Command::new("systemd-analyze").arg("--version").output().is_err() {
        eprintln!("skipped: no systemd-analyze");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for name in UNITS {
        // verify checks that the program exists: point it at the build.
        let text = read(name).replace("/usr/local/bin/rsentinel", env!("CARGO_BIN_EXE_rsentinel"));
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    for unit in ["rsentinel.service", "rsentinel@26379.service"] {
        let out = Command::new("systemd-analyze")
            .arg("verify")
            .arg(dir.path().join(unit))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        // Only our units' lines count (the host's own units may warn).
        let ours: Vec<&str> =
            err.lines().filter(|l| l.contains(dir.path().to_str().unwrap())).collect();
        assert!(out.status.success() && ours.is_empty(), "{unit}: {err}");
    }
}
