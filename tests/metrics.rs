//! `metrics-listen`: the HTTP endpoints with real processes on random
//! ports. /readyz says 503 until the master is reached, /metrics carries
//! redis_exporter's series with the master's address and, after a real
//! failover (the master stops answering: DEBUG SLEEP), the failover
//! counters; Debian's prometheus-redis-exporter sees the same sentinel
//! series, with the same values, in front of rsentinel as in front of
//! redis-sentinel; /healthz fails while the config directory is gone.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

/// `GET path` on 127.0.0.1:`port`: (status code, body); `None` when
/// nothing answers.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let code = head.split(' ').nth(1)?.parse().ok()?;
    Some((code, body.to_string()))
}

/// The value of the series written exactly as `series` (name and labels),
/// if present.
fn value(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Logs of a sentinel when a test fails.
struct ShowLog(std::path::PathBuf);

impl Drop for ShowLog {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = std::fs::read_to_string(self.0.join("stdout.log")).unwrap_or_default();
            eprintln!("==== rsentinel log\n{log}");
        }
    }
}

#[test]
fn readyz_waits_for_the_master_and_metrics_count_a_real_failover() {
    let dir = tempdir();
    let _log = ShowLog(dir.path().to_path_buf());
    // Nothing listens on the master's port yet. (Should the master not come
    // up within down-after-milliseconds, a failover starts and aborts with
    // no replica: the counters below are read before and after.)
    let master_port = free_port();
    let http = free_port();
    let sentinel = start_sentinel(
        dir.path(),
        &format!(
            "metrics-listen 127.0.0.1:{http}\n\
             sentinel monitor mymaster 127.0.0.1 {master_port} 1\n\
             sentinel down-after-milliseconds mymaster 2000\n\
             sentinel failover-timeout mymaster 10000\n"
        ),
    );
    wait_port(http);
    assert_eq!(get(http, "/healthz").map(|r| r.0), Some(200));
    let (code, why) = get(http, "/readyz").expect("readyz answers");
    assert_eq!(code, 503, "{why}");
    assert!(why.contains("mymaster") && why.contains("no run id"), "{why}");
    assert_eq!(get(http, "/nothing").map(|r| r.0), Some(404));

    let _master = start_redis_on(master_port, &[]);
    wait_for(20, "/readyz 200 once the master answers", || {
        get(http, "/readyz").is_some_and(|(code, _)| code == 200)
    });
    let replica = start_redis(&["--replicaof", "127.0.0.1", &master_port.to_string()]);
    let labels = format!("master_name=\"mymaster\",master_address=\"127.0.0.1:{master_port}\"");
    wait_for(30, "the replica in /metrics", || {
        let m = get(http, "/metrics").map(|r| r.1).unwrap_or_default();
        value(&m, &format!("redis_sentinel_master_ok_slaves{{{labels}}}")) == Some(1.0)
    });
    let m = get(http, "/metrics").expect("metrics").1;
    let status = format!("redis_sentinel_master_status{{{labels},master_status=\"ok\"}}");
    assert_eq!(value(&m, &status), Some(1.0), "{m}");
    assert_eq!(value(&m, "redis_sentinel_masters"), Some(1.0), "{m}");
    assert_eq!(value(&m, "redis_sentinel_tilt"), Some(0.0), "{m}");
    assert_eq!(value(&m, &format!("redis_sentinel_master_sentinels{{{labels}}}")), Some(1.0));
    let ckquorum = "redis_sentinel_master_ckquorum_status{master_name=\"mymaster\",\
                    message=\"OK 1 usable Sentinels. Quorum and failover authorization can be reached\"}";
    assert_eq!(value(&m, ckquorum), Some(1.0), "{m}");
    assert!(m.ends_with("# EOF\n"), "OpenMetrics text ends with # EOF");
    // The master's PINGs were answered: their round trip is known (loopback:
    // well under a second).
    let rtt = format!(
        "rsentinel_link_ping_rtt_seconds{{master_name=\"mymaster\",role=\"master\",\
         address=\"127.0.0.1:{master_port}\"}}"
    );
    let took = value(&m, &rtt).unwrap_or_else(|| panic!("no {rtt} in\n{m}"));
    assert!((0.0..1.0).contains(&took), "{rtt} = {took}");
    let named = "{master_name=\"mymaster\"}";
    let started = format!("rsentinel_failovers_started_total{named}");
    let started_before = value(&m, &started).unwrap_or(0.0);
    assert_eq!(value(&m, &format!("rsentinel_failovers_succeeded_total{named}")), Some(0.0), "{m}");

    // A real failover: the master stops answering for longer than
    // down-after-milliseconds.
    let sleeper = std::thread::spawn(move || {
        let _ = try_call(master_port, &["DEBUG", "SLEEP", "8"]);
    });
    let moved = format!(
        "redis_sentinel_master_status{{master_name=\"mymaster\",master_address=\"127.0.0.1:{}\",master_status=\"ok\"}}",
        replica.port
    );
    wait_for(30, "the promoted replica's address in /metrics", || {
        let m = get(http, "/metrics").map(|r| r.1).unwrap_or_default();
        value(&m, &moved) == Some(1.0)
    });
    let m = get(http, "/metrics").expect("metrics").1;
    assert_eq!(value(&m, &started), Some(started_before + 1.0), "{m}");
    assert_eq!(value(&m, &format!("rsentinel_failovers_succeeded_total{named}")), Some(1.0), "{m}");
    assert_eq!(value(&m, &format!("rsentinel_master_switches_total{named}")), Some(1.0), "{m}");
    assert_eq!(
        value(&m, &format!("rsentinel_failover_duration_seconds_count{named}")),
        Some(1.0),
        "{m}"
    );
    for phase in ["election", "promotion", "reconfiguration"] {
        let count = format!(
            "rsentinel_failover_phase_seconds_count{{master_name=\"mymaster\",phase=\"{phase}\"}}"
        );
        assert_eq!(value(&m, &count), Some(1.0), "{phase}: {m}");
    }
    let took = value(&m, &format!("rsentinel_failover_duration_seconds_sum{named}")).unwrap();
    assert!(took > 0.0 && took < 30.0, "failover took {took} s");
    assert!(value(&m, "rsentinel_current_epoch").unwrap_or(0.0) >= 1.0, "{m}");

    let status: serde_json::Value =
        serde_json::from_str(&get(http, "/status.json").expect("status").1).expect("json");
    assert_eq!(status["masters"][0]["name"], "mymaster");
    assert_eq!(status["masters"][0]["address"], format!("127.0.0.1:{}", replica.port));
    assert!(status["current_epoch"].as_u64() >= Some(1), "{status}");
    sleeper.join().expect("sleeper");
    drop(sentinel);
}

#[test]
fn an_aborted_failover_is_counted_by_reason() {
    let dir = tempdir();
    let _log = ShowLog(dir.path().to_path_buf());
    // A master with no replica: a failover starts and finds none to promote.
    let master = start_redis(&[]);
    let http = free_port();
    let _sentinel = start_sentinel(
        dir.path(),
        &format!(
            "metrics-listen 127.0.0.1:{http}\n\
             sentinel monitor mymaster 127.0.0.1 {} 1\n\
             sentinel down-after-milliseconds mymaster 1000\n",
            master.port
        ),
    );
    wait_port(http);
    wait_for(20, "/readyz 200", || get(http, "/readyz").is_some_and(|(code, _)| code == 200));
    // The series exists at 0 before the abort, so that Prometheus'
    // increase() sees the first abort (a series born at 1 shows none).
    let aborted =
        "rsentinel_failovers_aborted_total{master_name=\"mymaster\",reason=\"no-good-slave\"}";
    let m = get(http, "/metrics").expect("metrics").1;
    assert_eq!(value(&m, aborted), Some(0.0), "{m}");
    let port = master.port;
    let sleeper = std::thread::spawn(move || {
        let _ = try_call(port, &["DEBUG", "SLEEP", "4"]);
    });
    wait_for(20, "the aborted failover in /metrics", || {
        let m = get(http, "/metrics").map(|r| r.1).unwrap_or_default();
        value(&m, aborted) == Some(1.0)
    });
    let m = get(http, "/metrics").expect("metrics").1;
    let named = "{master_name=\"mymaster\"}";
    assert_eq!(value(&m, &format!("rsentinel_failovers_started_total{named}")), Some(1.0), "{m}");
    assert_eq!(value(&m, &format!("rsentinel_failovers_succeeded_total{named}")), Some(0.0), "{m}");
    assert_eq!(value(&m, &format!("rsentinel_failover_duration_seconds_count{named}")), None);
    sleeper.join().expect("sleeper");
}

#[test]
fn readyz_needs_a_quorum_of_peers_heard_from() {
    let master = start_redis(&[]);
    let (dirs, https) = ([tempdir(), tempdir()], [free_port(), free_port()]);
    let _logs: Vec<ShowLog> = dirs.iter().map(|d| ShowLog(d.path().to_path_buf())).collect();
    let sentinels: Vec<Proc> = dirs
        .iter()
        .zip(https)
        .map(|(d, http)| {
            start_sentinel(
                d.path(),
                &format!(
                    "metrics-listen 127.0.0.1:{http}\n\
                     sentinel monitor mymaster 127.0.0.1 {} 2\n\
                     sentinel down-after-milliseconds mymaster 1000\n",
                    master.port
                ),
            )
        })
        .collect();
    // Quorum 2: each is ready once it has heard the other's hello.
    for http in https {
        wait_port(http);
        wait_for(20, "/readyz 200 with the peer heard from", || {
            get(http, "/readyz").is_some_and(|(code, _)| code == 200)
        });
    }
    // Hellos keep coming every 2 s: readiness stays longer than a hello
    // may be old (6 s).
    for _ in 0..8 {
        std::thread::sleep(Duration::from_millis(1000));
        for http in https {
            let (code, why) = get(http, "/readyz").expect("readyz");
            let status = get(http, "/status.json").expect("status").1;
            assert_eq!(code, 200, "{why}{status}");
        }
    }
    // The peer stops: its hellos get old, and readiness goes.
    signal(&sentinels[1], "STOP");
    wait_for(20, "/readyz 503 once the peer is silent", || {
        get(https[0], "/readyz").is_some_and(|(code, why)| {
            code == 503 && why.contains("1 sentinel(s) heard from") && why.contains("quorum is 2")
        })
    });
    signal(&sentinels[1], "CONT");
    wait_for(20, "/readyz 200 again", || {
        get(https[0], "/readyz").is_some_and(|(code, _)| code == 200)
    });
}

#[test]
fn the_flag_starts_the_listener_the_rewrite_keeps_the_directive_and_bad_values_fail() {
    let dir = tempdir();
    let _log = ShowLog(dir.path().to_path_buf());
    let (port, http) = (free_port(), free_port());
    let path = dir.path().join("sentinel.conf");
    std::fs::write(&path, format!("bind 127.0.0.1\nport {port}\nmetrics-listen 127.0.0.1:1\n"))
        .expect("config");
    // The command line wins over the file, as for any directive.
    let child = Command::new(env!("CARGO_BIN_EXE_rsentinel"))
        .arg(&path)
        .args(["--metrics-listen", &format!("127.0.0.1:{http}")])
        .stdout(std::fs::File::create(dir.path().join("stdout.log")).expect("log"))
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let proc = Proc { child, port };
    wait_port(port);
    wait_port(http);
    assert_eq!(get(http, "/readyz"), Some((200, "ready\n".to_string())), "no master: ready");
    // The port accepts before the first save; clients are served after it.
    assert_eq!(Raw::connect(port).ask(b"PING\r\n"), "+PONG\r\n");
    // The start-up rewrite (a new myid) keeps the line.
    let conf = std::fs::read_to_string(&path).expect("config");
    assert!(conf.contains("sentinel myid "), "{conf}");
    assert!(conf.contains(&format!("metrics-listen 127.0.0.1:{http}")), "{conf}");
    drop(proc);

    // A port in use stops the start, as for `port`.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let taken_port = taken.local_addr().expect("addr").port();
    std::fs::write(&path, format!("bind 127.0.0.1\nport {}\n", free_port())).expect("config");
    let out = Command::new(env!("CARGO_BIN_EXE_rsentinel"))
        .arg(&path)
        .args(["--metrics-listen", &format!("127.0.0.1:{taken_port}")])
        .output()
        .expect("run");
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "started with the metrics port in use: {said}");
    assert!(said.contains(&format!("metrics-listen 127.0.0.1:{taken_port}: can't bind")), "{said}");
    drop(taken);

    for bad in ["9355", "127.0.0.1:0", "::1:9355"] {
        let (code, _, err) = run_rsentinel(&[
            "--check-config",
            &path.display().to_string(),
            "--metrics-listen",
            bad,
        ]);
        assert_eq!(code, 1, "metrics-listen {bad}: {err}");
        assert!(err.contains("metrics-listen"), "{err}");
    }
}

/// The `redis_sentinel_*` series an exporter exposes: names, label names,
/// the values of the labels that do not name this run's random ports
/// (master name, status, CKQUORUM message), and the series' values.
fn sentinel_series(metrics: &str) -> BTreeSet<String> {
    metrics
        .lines()
        .filter(|l| l.starts_with("redis_sentinel_"))
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap_or((l, ""));
            let series = match series.split_once('{') {
                None => series.to_string(),
                Some((name, labels)) => {
                    let names: Vec<String> = labels
                        .trim_end_matches('}')
                        .split("\",")
                        .filter_map(|kv| kv.split_once('='))
                        .map(|(k, v)| match k {
                            "master_name" | "master_status" | "message" => {
                                format!("{k}={}", v.trim_matches('"'))
                            }
                            _ => k.to_string(),
                        })
                        .collect();
                    format!("{name}{{{}}}", names.join(","))
                }
            };
            format!("{series} {value}")
        })
        .collect()
}

#[test]
fn redis_exporter_sees_the_same_sentinel_series_as_with_redis_sentinel() {
    let exporter = "prometheus-redis-exporter";
    if Command::new(exporter).arg("--version").output().is_err() {
        eprintln!(
            "SKIPPED: {exporter} is not installed (apt-get install prometheus-redis-exporter)"
        );
        return;
    }
    let master = start_redis(&[]);
    let replica = start_redis(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    let body = format!(
        "sentinel monitor mymaster 127.0.0.1 {} 1\nsentinel down-after-milliseconds mymaster 1000\n",
        master.port
    );
    let (ours_dir, theirs_dir) = (tempdir(), tempdir());
    let _log = ShowLog(ours_dir.path().to_path_buf());
    let ours = start_sentinel(ours_dir.path(), &body);
    let theirs = start_redis_sentinel(theirs_dir.path(), &body);
    // Both know the replica and each other.
    wait_discovery(&[ours.port, theirs.port], 1, 1);
    let scrape = |sentinel: u16| {
        let web = free_port();
        let child = Command::new(exporter)
            .args([
                "-redis.addr",
                &format!("redis://127.0.0.1:{sentinel}"),
                "-web.listen-address",
                &format!("127.0.0.1:{web}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the exporter");
        let _exporter = Proc { child, port: web };
        wait_port(web);
        let m = get(web, "/metrics").expect("exporter metrics").1;
        assert!(m.contains("redis_up 1"), "the exporter reached the sentinel:\n{m}");
        if std::env::var_os("SHOW_EXPORTER").is_some() {
            eprintln!("==== exporter in front of {sentinel}\n{m}");
        }
        sentinel_series(&m)
    };
    let (mine, reference) = (scrape(ours.port), scrape(theirs.port));
    assert!(
        reference.iter().any(|s| s.starts_with("redis_sentinel_master_status")),
        "the reference has sentinel series: {reference:#?}"
    );
    assert_eq!(mine, reference, "series in front of rsentinel vs redis-sentinel");
    drop(replica);
}

/// /healthz fails when the config's directory takes no new file (the
/// sentinel could not save a vote): here the directory is moved away, then
/// put back.
#[test]
fn healthz_fails_while_the_config_directory_is_gone() {
    let dir = tempdir();
    let sub = dir.path().join("conf");
    std::fs::create_dir(&sub).expect("mkdir");
    let http = free_port();
    let sentinel = start_sentinel(&sub, &format!("metrics-listen 127.0.0.1:{http}\n"));
    wait_port(http);
    assert_eq!(get(http, "/healthz"), Some((200, "alive\n".to_string())));
    let moved = dir.path().join("moved");
    std::fs::rename(&sub, &moved).expect("move the config directory away");
    let (code, why) = get(http, "/healthz").expect("healthz answers");
    assert_eq!(code, 503, "{why}");
    assert!(why.contains("not writable"), "{why}");
    std::fs::rename(&moved, &sub).expect("put it back");
    assert_eq!(get(http, "/healthz"), Some((200, "alive\n".to_string())));
    drop(sentinel);
}

/// A stalled process enters TILT (here stopped with SIGSTOP for longer than
/// the TILT trigger, lowered to 500 ms): /readyz says so with 503, and
/// /metrics shows redis_exporter's `redis_sentinel_tilt` at 1 and
/// `rsentinel_tilt_entered` counting it.
#[test]
fn a_stall_enters_tilt_and_readyz_and_metrics_say_so() {
    let dir = tempdir();
    let _log = ShowLog(dir.path().to_path_buf());
    let master = start_redis(&[]);
    let http = free_port();
    let sentinel = start_sentinel(
        dir.path(),
        &format!(
            "metrics-listen 127.0.0.1:{http}\nsentinel monitor m 127.0.0.1 {} 1\n",
            master.port
        ),
    );
    wait_port(http);
    let reply = call(sentinel.port, &["SENTINEL", "DEBUG", "tilt-trigger", "500"]);
    assert_eq!(reply, rsentinel::resp::Frame::ok());
    wait_for(20, "/readyz 200", || get(http, "/readyz").is_some_and(|(code, _)| code == 200));
    let m = get(http, "/metrics").expect("metrics").1;
    assert_eq!(value(&m, "redis_sentinel_tilt"), Some(0.0), "{m}");
    let pid = sentinel.child.id().to_string();
    let signal = |sig: &str| {
        let ok = Command::new("kill").args([sig, &pid]).status().expect("kill").success();
        assert!(ok, "kill {sig} {pid}");
    };
    signal("-STOP");
    std::thread::sleep(Duration::from_millis(1500));
    signal("-CONT");
    wait_for(20, "/readyz 503 in TILT", || {
        get(http, "/readyz").is_some_and(|(code, why)| code == 503 && why.contains("in TILT"))
    });
    let m = get(http, "/metrics").expect("metrics").1;
    assert_eq!(value(&m, "redis_sentinel_tilt"), Some(1.0), "{m}");
    assert!(value(&m, "rsentinel_tilt_entered") >= Some(1.0), "{m}");
    let status: serde_json::Value =
        serde_json::from_str(&get(http, "/status.json").expect("status").1).expect("json");
    assert_eq!(status["tilt"], true, "{status}");
    assert_eq!(status["ready"], false, "{status}");
}

/// `--metrics-listen` alone (no line in the file) is not written into the
/// file by the rewrite: redis-sentinel refuses the directive, and the file
/// must stay loadable by it.
#[test]
fn the_flag_alone_is_not_written_into_the_config() {
    let dir = tempdir();
    let (port, http) = (free_port(), free_port());
    let path = dir.path().join("sentinel.conf");
    std::fs::write(&path, format!("bind 127.0.0.1\nport {port}\n")).expect("config");
    let listen = format!("127.0.0.1:{http}");
    let _proc =
        spawn_rsentinel(&path, port, &["--metrics-listen", &listen, "--log-format", "json"]);
    wait_port(port);
    wait_port(http);
    // The port accepts before the first save; clients are served after it.
    assert_eq!(Raw::connect(port).ask(b"PING\r\n"), "+PONG\r\n");
    let conf = std::fs::read_to_string(&path).expect("config");
    assert!(conf.contains("sentinel myid "), "rewritten at start: {conf}");
    assert!(!conf.contains("metrics-listen") && !conf.contains("log-format"), "{conf}");
}
