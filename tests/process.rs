//! Process life: a second rsentinel on one config refuses to start,
//! `--ping` probes a sentinel, `daemonize yes` forks with a pid file.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Raw, free_port, run_rsentinel, start_sentinel, tempdir, wait_port};

#[test]
fn a_second_sentinel_on_the_same_config_refuses_to_start() {
    let dir = tempdir();
    let first = start_sentinel(dir.path(), "sentinel monitor m 127.0.0.1 1 2\n");
    let conf = dir.path().join("sentinel.conf");
    // The port accepts connections as soon as it is bound, but clients are
    // served only once the generated myid is on disk: after this reply the
    // first one has rewritten the file, and the lock must survive the rename.
    assert_eq!(Raw::connect(first.port).ask(b"PING\r\n"), "+PONG\r\n");
    assert!(std::fs::read_to_string(&conf).unwrap().contains("sentinel myid"));
    let other_port = free_port().to_string();
    let (code, out, err) = run_rsentinel(&[conf.to_str().unwrap(), "--port", &other_port]);
    assert_eq!(code, 1, "{out}{err}");
    // In the log (standard output here), as a failure to bind would be.
    assert!(out.contains("already running"), "{out}{err}");
    assert!(out.contains(&format!("(pid {})", first.child.id())), "names the holder: {out}");
    assert!(out.contains("sentinel.conf.lock"), "{out}");
    let other: u16 = other_port.parse().unwrap();
    assert!(std::net::TcpStream::connect(("127.0.0.1", other)).is_err(), "it never listened");
    // The same file through a symbolic link from another directory.
    let elsewhere = tempdir();
    let link = elsewhere.path().join("linked.conf");
    std::os::unix::fs::symlink(&conf, &link).unwrap();
    let (code, out, err) = run_rsentinel(&[link.to_str().unwrap(), "--port", &other_port]);
    assert_eq!(code, 1, "a link to a locked config: {out}{err}");
    assert!(out.contains("already running"), "{out}{err}");
    // The first is untouched, and once it is gone the config is free again.
    assert_eq!(Raw::connect(first.port).ask(b"PING\r\n"), "+PONG\r\n");
    drop(first);
    let again = start_sentinel_on(&conf);
    assert_eq!(Raw::connect(again.1).ask(b"PING\r\n"), "+PONG\r\n");
}

/// A restart that starts the new sentinel while the old one is still dying
/// waits for the lock instead of failing (Redis's sentinel suite restarts
/// that way). The dying holder is played by util-linux's `flock`, which
/// holds the lock for half a second.
#[test]
fn a_lock_released_within_moments_is_waited_for() {
    let dir = tempdir();
    let lock = dir.path().join("sentinel.conf.lock");
    let mut holder = Command::new("flock").arg(&lock).args(["sleep", "0.5"]).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !lock.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    let again = start_sentinel(dir.path(), "sentinel monitor m 127.0.0.1 1 2\n");
    assert_eq!(Raw::connect(again.port).ask(b"PING\r\n"), "+PONG\r\n");
    assert!(started.elapsed() >= Duration::from_millis(300), "it waited for the holder");
    let _ = holder.wait();
}

/// Starts rsentinel on an existing config with a new port.
fn start_sentinel_on(conf: &Path) -> (common::Proc, u16) {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_rsentinel"))
        .arg(conf)
        .args(["--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let p = common::Proc { child, port };
    wait_port(port);
    (p, port)
}

#[test]
fn ping_answers_zero_on_pong_and_one_otherwise() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), "sentinel monitor m 127.0.0.1 1 2\n");
    let (code, out, err) = run_rsentinel(&["--ping", &format!("127.0.0.1:{}", s.port)]);
    assert_eq!((code, out.as_str()), (0, "PONG\n"), "{err}");
    // A bare port is a port on 127.0.0.1.
    let (code, _, err) = run_rsentinel(&["--ping", &s.port.to_string()]);
    assert_eq!(code, 0, "{err}");
    // Nothing listening.
    let closed = free_port();
    let (code, _, err) = run_rsentinel(&["--ping", &format!("127.0.0.1:{closed}")]);
    assert_eq!(code, 1);
    assert!(err.contains(&closed.to_string()) && err.contains("refused"), "{err}");
    // Something that answers, but not +PONG.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut c, _) = listener.accept().unwrap();
        let mut buf = [0u8; 64];
        let _ = c.read(&mut buf);
        c.write_all(b"-NOAUTH Authentication required.\r\n").unwrap();
    });
    let (code, _, err) = run_rsentinel(&["--ping", &format!("127.0.0.1:{port}")]);
    server.join().unwrap();
    assert_eq!(code, 1);
    assert!(err.contains("-NOAUTH Authentication required."), "{err}");
    // Something that never answers: bounded by the 2 s timeout.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let start = Instant::now();
    let (code, _, err) = run_rsentinel(&["--ping", &format!("127.0.0.1:{port}")]);
    assert_eq!(code, 1);
    assert!(start.elapsed() < Duration::from_secs(5), "{err}");
    assert!(err.contains("no reply") || err.contains("timed out"), "{err}");
    drop(silent);
}

/// A sentinel with `requirepass` answers a bare PING `-NOAUTH`; with
/// redis-cli's `REDISCLI_AUTH`, `--ping` authenticates first.
#[test]
fn ping_authenticates_with_rediscli_auth() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), "requirepass s3cret\n");
    let ping = |auth: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rsentinel"));
        cmd.args(["--ping", &s.port.to_string()]).env_remove("REDISCLI_AUTH");
        if let Some(pass) = auth {
            cmd.env("REDISCLI_AUTH", pass);
        }
        let out = cmd.output().expect("run rsentinel");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, err) = ping(None);
    assert_eq!(code, Some(1));
    assert!(err.contains("NOAUTH"), "{err}");
    let (code, err) = ping(Some("s3cret"));
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = ping(Some("wrong"));
    assert_eq!(code, Some(1));
    assert!(err.contains("WRONGPASS") && err.contains("not +OK"), "{err}");
}

/// Kills the daemon named by a pid file when dropped (also when a test
/// fails).
struct Daemon(std::path::PathBuf);

impl Daemon {
    fn pid(&self) -> Option<u32> {
        std::fs::read_to_string(&self.0).ok()?.trim().parse().ok()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
    }
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

#[test]
fn daemonize_forks_writes_the_pidfile_and_removes_it_at_exit() {
    let dir = tempdir();
    let port = free_port();
    let conf = dir.path().join("sentinel.conf");
    let pidfile = dir.path().join("s.pid");
    let log = dir.path().join("s.log");
    std::fs::write(
        &conf,
        format!(
            "bind 127.0.0.1\nport {port}\ndaemonize yes\npidfile {}\nlogfile {}\n\
             sentinel monitor m 127.0.0.1 1 2\n",
            pidfile.display(),
            log.display()
        ),
    )
    .unwrap();
    let daemon = Daemon(pidfile.clone());
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_rsentinel")).arg(&conf).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(start.elapsed() < Duration::from_secs(10));
    // The parent returned only once the daemon was ready.
    assert_eq!(Raw::connect(port).ask(b"PING\r\n"), "+PONG\r\n");
    let pid = daemon.pid().expect("pid file written");
    assert!(alive(pid), "the daemon {pid} runs");
    let lock = std::fs::read_to_string(dir.path().join("sentinel.conf.lock")).unwrap();
    assert_eq!(lock.trim(), pid.to_string(), "the lock names the daemon, not its parent");
    let info = Raw::connect(port).ask(b"INFO server\r\n");
    assert!(info.contains(&format!("process_id:{pid}\r\n")), "{info}");
    assert!(std::fs::read_to_string(&log).unwrap().contains("Ready to accept connections"));
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let start = Instant::now();
    while alive(pid) {
        assert!(start.elapsed() < Duration::from_secs(5), "daemon still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!pidfile.exists(), "pid file removed at exit");
}

#[test]
fn a_daemon_that_cannot_start_makes_its_parent_fail() {
    let dir = tempdir();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let conf = dir.path().join("sentinel.conf");
    let pidfile = dir.path().join("s.pid");
    std::fs::write(
        &conf,
        format!(
            "bind 127.0.0.1\nport {port}\ndaemonize yes\npidfile {}\nsentinel monitor m 127.0.0.1 1 2\n",
            pidfile.display()
        ),
    )
    .unwrap();
    let _daemon = Daemon(pidfile.clone());
    let out = Command::new(env!("CARGO_BIN_EXE_rsentinel")).arg(&conf).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("ended before it was ready"), "{err}");
}

#[test]
fn supervised_systemd_does_not_daemonize() {
    // As redis: under a supervisor, `daemonize yes` is ignored.
    let dir = tempdir();
    let sock = dir.path().join("notify.sock");
    let _listener = std::os::unix::net::UnixDatagram::bind(&sock).unwrap();
    let port = free_port();
    let conf = dir.path().join("sentinel.conf");
    std::fs::write(
        &conf,
        format!("bind 127.0.0.1\nport {port}\ndaemonize yes\nsentinel monitor m 127.0.0.1 1 2\n"),
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_rsentinel"))
        .arg(&conf)
        .args(["--supervised", "systemd"])
        .env("NOTIFY_SOCKET", &sock)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut p = common::Proc { child, port };
    wait_port(port);
    let info = Raw::connect(port).ask(b"INFO server\r\n");
    assert!(info.contains(&format!("process_id:{}\r\n", p.child.id())), "not forked: {info}");
    assert!(p.child.try_wait().unwrap().is_none());
}
