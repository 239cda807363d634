//! The log file: lines land in a new file after logrotate moved the old
//! one, SIGHUP reopens it and never ends the process, and the formats are
//! what `log-format` / `log-timestamp-format` say (legacy byte for byte
//! redis-sentinel's shape).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Proc, Raw, start_redis_sentinel, start_sentinel, tempdir};

/// Starts rsentinel logging to `dir/s.log` with `extra` config lines.
fn start(dir: &Path, extra: &str) -> (Proc, PathBuf) {
    let log = dir.join("s.log");
    let body = format!("logfile {}\n{extra}sentinel monitor m 127.0.0.1 1 2\n", log.display());
    (start_sentinel(dir, &body), log)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Waits until `path` contains `text`; returns the file's text.
fn wait_for(path: &Path, text: &str) -> String {
    let start = Instant::now();
    loop {
        let got = read(path);
        if got.contains(text) {
            return got;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "no '{text}' in {path:?}: {got}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Makes the sentinel log a line (`+monitor master <name> ...`).
fn log_something(port: u16, name: &str) {
    let args = ["SENTINEL", "MONITOR", name, "127.0.0.1", "2", "2"];
    let mut request = format!("*{}\r\n", args.len());
    for a in args {
        request.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    let reply = Raw::connect(port).ask(request.as_bytes());
    assert_eq!(reply, "+OK\r\n");
}

#[test]
fn lines_follow_the_file_after_logrotate_moves_it() {
    let dir = tempdir();
    let (s, log) = start(dir.path(), "");
    wait_for(&log, "Ready to accept connections");
    let rotated = dir.path().join("s.log.1");
    std::fs::rename(&log, &rotated).unwrap();
    log_something(s.port, "after-move");
    let fresh = wait_for(&log, "+monitor master after-move");
    assert!(!fresh.contains("Ready to accept"), "a new file: {fresh}");
    assert!(!read(&rotated).contains("after-move"), "nothing more in the moved file");
    // Deleted, not moved: the same.
    std::fs::remove_file(&log).unwrap();
    log_something(s.port, "after-delete");
    wait_for(&log, "+monitor master after-delete");
}

#[test]
fn sighup_reopens_the_log_and_never_ends_the_process() {
    let dir = tempdir();
    let (s, log) = start(dir.path(), "");
    wait_for(&log, "Ready to accept connections");
    std::fs::rename(&log, dir.path().join("s.log.1")).unwrap();
    for _ in 0..3 {
        let ok = Command::new("kill")
            .args(["-HUP", &s.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }
    let text = wait_for(&log, "Received SIGHUP, reopening the log file");
    assert!(
        text.starts_with(&format!("{}:X ", s.child.id())),
        "first line of the new file: {text}"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(Raw::connect(s.port).ask(b"PING\r\n"), "+PONG\r\n", "still serving after SIGHUP");
    let mut s = s;
    assert!(s.child.try_wait().unwrap().is_none(), "still running after SIGHUP");
}

/// Each line as JSON, via python3 (which the tests already need).
fn parse_json_lines(text: &str) -> Vec<String> {
    let script = "import json,sys\n\
        for line in sys.stdin:\n\
        \x20   o = json.loads(line)\n\
        \x20   assert set(o) == {'pid','role','timestamp','level','message'}, o\n\
        \x20   assert isinstance(o['pid'], int) and o['role'] == 'sentinel', o\n\
        \x20   print(o['level'], o['timestamp'], o['message'], sep='|')\n";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "every line is JSON: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

#[test]
fn json_lines_parse_with_iso8601_times() {
    let dir = tempdir();
    let (s, log) = start(dir.path(), "log-format json\nlog-timestamp-format iso8601\n");
    log_something(s.port, "quote\"d");
    let text = wait_for(&log, "+monitor master quote");
    let lines = parse_json_lines(&text);
    assert!(lines.len() >= 3, "{lines:?}");
    let monitor = lines.iter().find(|l| l.contains("+monitor master quote\"d")).expect("{lines:?}");
    let fields: Vec<&str> = monitor.split('|').collect();
    assert_eq!(fields[0], "warning", "{monitor}");
    // 2026-11-24T23:36:48.123+00:00
    let t = fields[1].as_bytes();
    assert!(t.len() == 29 && t[4] == b'-' && t[10] == b'T' && t[19] == b'.', "{monitor}");
    assert!(t[23] == b'+' || t[23] == b'-', "{monitor}");
    // The config is rewritten with the directives kept.
    let conf = read(&dir.path().join("sentinel.conf"));
    assert!(
        conf.contains("log-format json") && conf.contains("log-timestamp-format iso8601"),
        "{conf}"
    );
}

#[test]
fn logfmt_lines_with_millisecond_times() {
    let dir = tempdir();
    let (s, log) = start(dir.path(), "log-format logfmt\nlog-timestamp-format milliseconds\n");
    log_something(s.port, "lf");
    let text = wait_for(&log, "+monitor master lf");
    let pid = s.child.id();
    let now_ms =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    for line in text.lines() {
        let rest = line.strip_prefix(&format!("pid={pid} role=sentinel timestamp=")).expect(line);
        let (ms, rest) = rest.split_once(' ').expect(line);
        let ms: u128 = ms.trim_matches('"').parse().expect(line);
        assert!(now_ms.abs_diff(ms) < 60_000, "{line}");
        let (level, message) = rest.split_once(' ').expect(line);
        assert!(["level=notice", "level=warning", "level=info"].contains(&level), "{line}");
        assert!(message.starts_with("message=\"") && message.ends_with('"'), "{line}");
    }
    assert!(
        text.contains("level=warning message=\"+monitor master lf 127.0.0.1 2 quorum 2\""),
        "{text}"
    );
}

/// `24 Nov 2026 23:36:48.123` → `DD Mon YYYY HH:MM:SS.mmm` (digits → 9,
/// letters → a), to compare shapes.
fn shape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => '9',
            c if c.is_ascii_alphabetic() => 'a',
            c => c,
        })
        .collect()
}

#[test]
fn legacy_lines_have_redis_sentinels_shape() {
    let dir = tempdir();
    let (_s, log) = start(dir.path(), "");
    let ours = wait_for(&log, "Sentinel ID is");
    let ours = ours.lines().find(|l| l.contains("Sentinel ID is")).unwrap().to_string();
    let theirs_dir = tempdir();
    let their_log = theirs_dir.path().join("r.log");
    let _r = start_redis_sentinel(
        theirs_dir.path(),
        &format!("logfile {}\nsentinel monitor m 127.0.0.1 1 2\n", their_log.display()),
    );
    let theirs = wait_for(&their_log, "Sentinel ID is");
    let theirs = theirs.lines().find(|l| l.contains("Sentinel ID is")).unwrap().to_string();
    // `<pid>:X <date> # Sentinel ID is <40 hex>`: the same shape and level
    // mark after the pid, up to the id.
    let strip_pid = |l: &str| {
        let (_, rest) = l.split_once(':').unwrap();
        shape(&rest[..rest.find("Sentinel ID is").unwrap()])
    };
    assert_eq!(strip_pid(&ours), strip_pid(&theirs), "ours: {ours}\ntheirs: {theirs}");
    assert!(ours.starts_with(&format!("{}:X ", _s.child.id())), "{ours}");
}
