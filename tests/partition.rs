//! Issue 12: the Jepsen 2013 partition, with real processes in Linux network
//! namespaces (`bench/partition.py` builds the hosts, runs the writer and
//! measures; this test runs it for rsentinel with shorter timings and
//! checks the goals).
//!
//! Three hosts, each a redis-server and an rsentinel; the master's host is
//! cut off (its bridge port drops every frame) while a writer on it pushes
//! 200 writes/s through redis-py's Sentinel client. Checked, without fencing:
//! the old master is demoted within 3 s of the heal and the writes it took
//! after the heal are (nearly) all kept; with `sentinel fence`, over three
//! runs: at most 7 % of the acknowledged writes are lost in the median run
//! (10 % in any), and two masters take writes for at most 3 s. Every run
//! must converge. The runs go two at a time, each in namespaces of its
//! own.
//!
//! Needs root (network namespaces), iproute2 with bridge support and
//! python3 with redis-py; where namespaces cannot be made, the test says so
//! and passes without running. [`Namespaces`] removes the namespaces and
//! kills what runs in them however the test ends.

use std::process::{Command, Stdio};

/// The namespaces named `<prefix>-*`: on drop, everything running in them
/// (the script's processes) is killed and they are removed.
struct Namespaces {
    prefix: String,
}

impl Namespaces {
    fn list(&self) -> Vec<String> {
        let out = Command::new("ip").args(["netns", "list"]).output().expect("ip netns list");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|n| n.starts_with(&format!("{}-", self.prefix)))
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for ns in self.list() {
            let pids = Command::new("ip").args(["netns", "pids", &ns]).output();
            for pid in pids
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default()
                .split_whitespace()
            {
                let _ = Command::new("kill").args(["-KILL", pid]).status();
            }
            let _ = Command::new("ip").args(["netns", "del", &ns]).status();
        }
    }
}

/// Why the test cannot run here, if it cannot.
fn unsupported() -> Option<String> {
    let probe = format!("rspt{}-probe", std::process::id());
    let made = Command::new("ip")
        .args(["netns", "add", &probe])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        return Some("cannot create network namespaces (needs root and iproute2)".into());
    }
    let bridge = Command::new("ip")
        .args(["-n", &probe, "link", "add", "br0", "type", "bridge"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let _ = Command::new("ip").args(["netns", "del", &probe]).status();
    if !bridge {
        return Some("cannot create a bridge in a network namespace".into());
    }
    let redis_py = Command::new("python3")
        .args(["-c", "import redis.sentinel"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    (!redis_py).then(|| "python3 cannot import redis (pip install redis)".into())
}

/// Starts `bench/partition.py` for rsentinel in namespaces `<prefix>-*`.
fn start(prefix: &str, extra: &[&str]) -> std::process::Child {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/partition.py");
    Command::new("python3")
        .arg(script)
        .args(["--sentinel", "rsentinel", "--rsentinel", env!("CARGO_BIN_EXE_rsentinel")])
        .args(["--before", "3", "--partition", "8", "--after", "8", "--settle", "20"])
        .args(["--down-after", "1000", "--prefix", prefix, "--json"])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .expect("run bench/partition.py")
}

/// The figures the script printed for rsentinel.
fn figures(child: std::process::Child) -> serde_json::Value {
    let out = child.wait_with_output().expect("wait for bench/partition.py");
    assert!(out.status.success(), "bench/partition.py failed");
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON figures");
    all["rsentinel"].clone()
}

fn num(v: &serde_json::Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key} missing or null in {v}"))
}

#[test]
fn partition_loses_few_writes() {
    if let Some(why) = unsupported() {
        eprintln!("partition_loses_few_writes: skipped: {why}");
        return;
    }
    let base = format!("rspt{}", std::process::id());
    let prefixes = ["p", "f", "g", "h"].map(|s| format!("{base}{s}"));
    let _guards = prefixes.clone().map(|p| Namespaces { prefix: format!("{p}rs") });
    let fence: &[&str] = &["--fence", "500"];
    // Two at a time, as before: the plain run and a fenced one, then two
    // more fenced ones for the median.
    let (a, b) = (start(&prefixes[0], &[]), start(&prefixes[1], fence));
    let (plain, first) = (figures(a), figures(b));
    let (c, d) = (start(&prefixes[2], fence), start(&prefixes[3], fence));
    let mut fenced = [first, figures(c), figures(d)];
    eprintln!("without fencing: {plain}");
    for f in &fenced {
        eprintln!("with fencing:    {f}");
    }

    // Demotion at once on heal: the old master follows the new one within
    // 3 s, so the writes it acknowledged after the heal are few.
    assert_eq!(plain["converged"], true, "converged without fencing");
    assert!(num(&plain, "demoted_after_heal_s") <= 3.0, "demoted late: {plain}");
    assert!(num(&plain, "lost_after_heal") <= 600.0, "writes lost after the heal: {plain}");

    // Fencing: the isolated master stops acknowledging writes.
    for f in &fenced {
        assert_eq!(f["converged"], true, "converged with fencing: {f}");
        assert!(num(f, "two_masters_s") <= 3.0, "two masters with fencing: {f}");
        assert!(num(f, "lost_pct") <= 10.0, "lost with fencing: {f}");
    }
    // The goal, on the median of three runs as the bench measures
    // it. One run's share swings with how soon the fleet takes writes
    // again after the heal and with how many writes the machine let the
    // writer make: 4.9-7.2 % over eight single runs on 30 Nov 2026, so a
    // bound of 7 % on one run failed one time in four. The slow heals
    // (3.5-4.5 s, 7.6-8.4 % lost) were our own hello to the fenced old
    // master: PUBLISH waits out its write pause and held the SLAVEOF that
    // converts it (no hello goes to a replica that reports role:master
    // now). Without fencing it is 40 % or more.
    fenced.sort_by(|a, b| num(a, "lost_pct").total_cmp(&num(b, "lost_pct")));
    let median = &fenced[1];
    assert!(num(median, "lost_pct") <= 7.0, "lost with fencing (median of 3): {median}");
}
