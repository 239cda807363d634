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

/// The drop-in on Debian's own redis-sentinel.service (when installed):
/// systemd-analyze loads the unit with it (from a copy, through
/// `SYSTEMD_UNIT_PATH`) without a warning; without the empty `ExecStart=`
/// first, it would be a second ExecStart, an error for a notify service.
#[test]
fn systemd_analyze_verifies_debians_unit_with_the_drop_in() {
    let debian = Path::new("/lib/systemd/system/redis-sentinel.service");
    if Command::new("systemd-analyze").arg("--version").output().is_err() || !debian.exists() {
        eprintln!("skipped: no systemd-analyze or no Debian redis-sentinel.service");
        return;
    }
    let verify = |dropin: &str| {
        let dir = tempfile::tempdir().unwrap();
        let unit = dir.path().join("redis-sentinel.service");
        std::fs::copy(debian, &unit).unwrap();
        let d = dir.path().join("redis-sentinel.service.d");
        std::fs::create_dir(&d).unwrap();
        let text = dropin.replace("/usr/local/bin/rsentinel", env!("CARGO_BIN_EXE_rsentinel"));
        std::fs::write(d.join("rsentinel.conf"), text).unwrap();
        let out = Command::new("systemd-analyze")
            .env("SYSTEMD_UNIT_PATH", format!("{}:", dir.path().display()))
            .arg("verify")
            .arg(&unit)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let ours: Vec<String> = err
            .lines()
            .filter(|l| l.contains(dir.path().to_str().unwrap()) || l.contains("redis-sentinel"))
            .map(str::to_string)
            .collect();
        (out.status.success() && ours.is_empty(), err)
    };
    let dropin = read("redis-sentinel.service.d-rsentinel.conf");
    let (ok, err) = verify(&dropin);
    assert!(ok, "Debian's unit with the drop-in: {err}");
    // The check can fail: the same drop-in without the line that clears
    // Debian's ExecStart.
    let broken: String =
        dropin.lines().filter(|l| *l != "ExecStart=").map(|l| l.to_string() + "\n").collect();
    let (ok, err) = verify(&broken);
    assert!(!ok && err.contains("more than one ExecStart"), "a second ExecStart is refused: {err}");
}
