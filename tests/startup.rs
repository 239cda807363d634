//! Start-up: bad command lines and files end with a clear message and a
//! non-zero exit; a missing myid is generated and saved at once; SIGTERM
//! ends the process cleanly.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{
    Raw, call, free_port, run_rsentinel, signal, start_redis, start_sentinel, tempdir, wait_for,
    wait_port,
};

#[test]
fn no_file_given() {
    let (code, _, err) = run_rsentinel(&[]);
    assert_eq!(code, 1);
    assert!(err.contains("Sentinel needs config file on disk to save state"), "{err}");
}

#[test]
fn missing_file() {
    let (code, _, err) = run_rsentinel(&["/nonexistent/dir/sentinel.conf"]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/dir/sentinel.conf"), "the path is named: {err}");
}

#[test]
fn bad_file_names_line_and_reason() {
    let dir = tempdir();
    let path = dir.path().join("bad.conf");
    std::fs::write(&path, "port 5000\nsentinel monitor m 127.0.0.1 notaport 2\n").unwrap();
    let (code, _, err) = run_rsentinel(&[path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("at line 2"), "{err}");
    assert!(err.contains(">>> 'sentinel monitor m 127.0.0.1 notaport 2'"), "{err}");
    assert!(err.contains("notaport"), "{err}");
    let (code, _, err) = run_rsentinel(&["--check-config", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    std::fs::write(&path, "port 5000\nsentinel monitor m 127.0.0.1 6379 2\n").unwrap();
    let (code, out, _) = run_rsentinel(&["--check-config", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn bad_command_line_override() {
    let dir = tempdir();
    let path = dir.path().join("s.conf");
    std::fs::write(&path, "sentinel monitor m 127.0.0.1 6379 2\n").unwrap();
    let (code, _, err) = run_rsentinel(&["--check-config", path.to_str().unwrap(), "--port", "x"]);
    assert_eq!(code, 1);
    assert!(err.contains("port"), "{err}");
}

#[test]
fn unwritable_file() {
    let dir = tempdir();
    let path = dir.path().join("s.conf");
    std::fs::write(&path, "sentinel monitor m 127.0.0.1 6379 2\n").unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o444);
    std::fs::set_permissions(&path, perms).unwrap();
    let root = unsafe_is_root();
    // Root may write anything: run as `nobody` then (the file is 0444).
    let mut cmd = if root && Command::new("setpriv").arg("--help").output().is_ok() {
        let mut dperms = std::fs::metadata(dir.path()).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut dperms, 0o755);
        std::fs::set_permissions(dir.path(), dperms).unwrap();
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_rsentinel"),
        ]);
        c
    } else if root {
        eprintln!("skipped: running as root without setpriv");
        return;
    } else {
        Command::new(env!("CARGO_BIN_EXE_rsentinel"))
    };
    let out = cmd.arg(&path).arg("--port").arg(free_port().to_string()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("not writable") && err.contains("s.conf"), "{err}");
}

fn unsafe_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

#[test]
fn missing_myid_is_generated_and_saved_before_serving() {
    let dir = tempdir();
    let s =
        start_sentinel(dir.path(), "# my comment\nsentinel monitor mymaster 127.0.0.1 6379 2\n");
    let mut c = Raw::connect(s.port);
    let reply = c.ask(b"SENTINEL MYID\r\n");
    let id = reply.trim_end().rsplit("\r\n").next().unwrap().to_string();
    assert_eq!(id.len(), 40, "{reply}");
    let text = std::fs::read_to_string(dir.path().join("sentinel.conf")).unwrap();
    assert!(text.contains(&format!("sentinel myid {id}")), "{text}");
    assert!(text.contains("# my comment"), "comments survive: {text}");
}

#[test]
fn sigterm_exits_cleanly_and_logfile_gets_the_logs() {
    let dir = tempdir();
    let port = free_port();
    let conf = dir.path().join("s.conf");
    let log = dir.path().join("s.log");
    let pidfile = dir.path().join("s.pid");
    std::fs::write(
        &conf,
        format!(
            "bind 127.0.0.1\nport {port}\nlogfile {}\npidfile {}\nsentinel monitor m 127.0.0.1 6379 2\n",
            log.display(),
            pidfile.display()
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rsentinel"))
        .arg(&conf)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_port(port);
    let written = std::fs::read_to_string(&pidfile).expect("pidfile written at start");
    assert_eq!(written.trim(), child.id().to_string());
    unsafe_kill(child.id());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "still running 5 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    assert!(!pidfile.exists(), "pidfile removed at exit");
    let out = child.wait_with_output().unwrap();
    assert!(out.stderr.is_empty(), "nothing on stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "logs go to the logfile");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("# +monitor master m 127.0.0.1 6379 quorum 2"), "{text}");
    assert!(text.contains("Received SIGTERM"), "{text}");
}

fn unsafe_kill(pid: u32) {
    let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
}

/// `port 0` listens nowhere: refused with redis-sentinel's message.
#[test]
fn port_zero_is_refused() {
    let dir = tempdir();
    let path = dir.path().join("sentinel.conf");
    std::fs::write(&path, "port 0\nsentinel monitor m 127.0.0.1 6379 2\n").unwrap();
    let (code, out, err) = run_rsentinel(&[path.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("Configured to not listen anywhere, exiting."), "{out}{err}");
}

/// A directive accepted for compatibility but not acted on gets one warning
/// line at start, naming it and its line.
#[test]
fn unused_directives_are_named_at_start() {
    let dir = tempdir();
    let s = start_sentinel(
        dir.path(),
        "sentinel monitor m 127.0.0.1 6379 2\nhz 10\nappendonly no\nhz 20\n",
    );
    let log = || std::fs::read_to_string(dir.path().join("stdout.log")).unwrap_or_default();
    let start = Instant::now();
    while !log().contains("'appendonly' (line 5)") && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = log();
    assert!(text.contains("'hz' (line 4) is accepted for redis-sentinel compatibility"), "{text}");
    assert!(text.contains("'appendonly' (line 5)"), "{text}");
    assert_eq!(text.matches("'hz'").count(), 1, "one line per directive: {text}");
    drop(s);
}

#[test]
fn a_script_that_cannot_run_is_refused_at_load() {
    let dir = tempdir();
    let path = dir.path().join("s.conf");
    let script = dir.path().join("notify.sh");
    std::fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
    let body = format!(
        "port 0\nsentinel monitor m 127.0.0.1 6379 2\nsentinel notification-script m {}\n",
        script.display()
    );
    std::fs::write(&path, &body).unwrap();
    // Not executable: refused, naming the line, as redis-sentinel does.
    let (code, _, err) = run_rsentinel(&["--check-config", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("at line 3"), "{err}");
    assert!(err.contains("Notification script seems non existing or non executable."), "{err}");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (code, _, err) = run_rsentinel(&["--check-config", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(&path, body.replace("notification-script m", "client-reconfig-script m") + "\n")
        .unwrap();
    std::fs::remove_file(&script).unwrap();
    let (code, _, err) = run_rsentinel(&["--check-config", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("Client reconfiguration script seems non existing"), "{err}");
}

#[test]
fn a_relative_script_path_is_relative_to_dir() {
    let dir = tempdir();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let script = dir.path().join("notify.sh");
    std::fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.path().join("s.conf");
    let body = format!(
        "port 0\ndir {}\nsentinel monitor m 127.0.0.1 6379 2\nsentinel notification-script m ../notify.sh\n",
        work.display()
    );
    std::fs::write(&path, body).unwrap();
    let (code, _, err) = run_rsentinel(&["--check-config", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}

/// A replica learned less than a second before SIGTERM is in the file all
/// the same: discoveries are saved together within a second, and what is
/// waiting is saved at exit.
#[test]
fn sigterm_saves_what_was_just_learned() {
    let master = start_redis(&[]);
    let _replica = start_redis(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    wait_for(10, "the replica attached", || {
        format!("{:?}", call(master.port, &["INFO", "replication"])).contains("connected_slaves:1")
    });
    let dir = tempdir();
    let body = format!("sentinel monitor m 127.0.0.1 {} 1\n", master.port);
    let mut sentinel = start_sentinel(dir.path(), &body);
    // The first INFO of the master names the replica; stop at once.
    wait_for(5, "the replica known", || {
        matches!(call(sentinel.port, &["SENTINEL", "REPLICAS", "m"]),
            rsentinel::resp::Frame::Array(ref a) if !a.is_empty())
    });
    signal(&sentinel, "TERM");
    let status = sentinel.child.wait().expect("wait rsentinel");
    assert_eq!(status.code(), Some(0));
    let text = std::fs::read_to_string(dir.path().join("sentinel.conf")).unwrap();
    assert!(text.contains("sentinel known-replica m 127.0.0.1"), "{text}");
}
