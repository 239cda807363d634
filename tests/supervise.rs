//! systemd supervision: a test socket plays systemd's `NOTIFY_SOCKET`, and
//! rsentinel must tell it `STATUS=`, `READY=1` (only once it listens and its
//! config is on disk), `STOPPING=1` at SIGTERM, and ping the watchdog when
//! `WATCHDOG_USEC` asks for it, on a socket file or an abstract socket.

mod common;

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Proc, Raw, free_port, tempdir, wait_port};

/// The fake systemd: the socket rsentinel notifies.
struct Systemd {
    socket: UnixDatagram,
    path: std::path::PathBuf,
}

impl Systemd {
    fn new(dir: &std::path::Path) -> Systemd {
        let path = dir.join("notify.sock");
        let socket = UnixDatagram::bind(&path).expect("bind the notify socket");
        Systemd { socket, path }
    }

    /// A fake systemd on an abstract socket: `NOTIFY_SOCKET=@name`.
    fn abstract_socket(name: &str) -> Systemd {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name).unwrap();
        let socket = UnixDatagram::bind_addr(&addr).expect("bind the abstract notify socket");
        Systemd { socket, path: format!("@{name}").into() }
    }

    /// The next message (its lines), or None after `wait`.
    fn next(&self, wait: Duration) -> Option<Vec<String>> {
        self.socket.set_read_timeout(Some(wait)).unwrap();
        let mut buf = [0u8; 4096];
        let n = self.socket.recv(&mut buf).ok()?;
        Some(String::from_utf8_lossy(&buf[..n]).lines().map(str::to_string).collect())
    }

    /// Every line received until one equals `line` (included), within `wait`.
    fn until(&self, line: &str, wait: Duration) -> Vec<String> {
        let start = Instant::now();
        let mut seen = Vec::new();
        while start.elapsed() < wait {
            if let Some(lines) = self.next(Duration::from_millis(200)) {
                let done = lines.iter().any(|l| l == line);
                seen.extend(lines);
                if done {
                    return seen;
                }
            }
        }
        panic!("no {line} within {wait:?}; received: {seen:?}");
    }
}

/// Starts rsentinel on a fresh config with `--supervised <mode>` and the
/// given environment.
fn start(dir: &std::path::Path, mode: &str, env: &[(&str, &str)]) -> Proc {
    let port = free_port();
    let conf = dir.join("sentinel.conf");
    std::fs::write(
        &conf,
        format!("bind 127.0.0.1\nport {port}\nsentinel monitor m 127.0.0.1 1 2\n"),
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rsentinel"));
    cmd.arg(&conf).args(["--supervised", mode]).stdout(Stdio::null()).stderr(Stdio::null());
    cmd.env_remove("NOTIFY_SOCKET").env_remove("WATCHDOG_USEC").env_remove("WATCHDOG_PID");
    for (k, v) in env {
        cmd.env(k, v);
    }
    Proc { child: cmd.spawn().expect("spawn rsentinel"), port }
}

fn sigterm(pid: u32) {
    let ok = Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap().success();
    assert!(ok, "kill -TERM {pid}");
}

#[test]
fn systemd_hears_status_ready_and_stopping() {
    let dir = tempdir();
    let systemd = Systemd::new(dir.path());
    let mut s = start(dir.path(), "systemd", &[("NOTIFY_SOCKET", systemd.path.to_str().unwrap())]);
    let lines = systemd.until("READY=1", Duration::from_secs(10));
    // Ready means: clients can connect, and the generated myid is saved.
    assert!(std::net::TcpStream::connect(("127.0.0.1", s.port)).is_ok(), "listening at READY=1");
    let conf = std::fs::read_to_string(dir.path().join("sentinel.conf")).unwrap();
    assert!(conf.contains("sentinel myid "), "config saved before READY=1: {conf}");
    let status: Vec<&String> = lines.iter().filter(|l| l.starts_with("STATUS=")).collect();
    assert!(!status.is_empty(), "a STATUS= line before READY=1: {lines:?}");
    assert!(
        status.last().unwrap().contains("monitoring 1 master(s)"),
        "the status a person reads: {status:?}"
    );
    let info = Raw::connect(s.port).ask(b"INFO server\r\n");
    assert!(info.contains("process_supervised:systemd\r\n"), "{info}");
    // No watchdog asked for: no pings.
    let mut quiet = Vec::new();
    while let Some(lines) = systemd.next(Duration::from_millis(700)) {
        quiet.extend(lines);
    }
    assert!(!quiet.iter().any(|l| l == "WATCHDOG=1"), "{quiet:?}");
    sigterm(s.child.id());
    systemd.until("STOPPING=1", Duration::from_secs(5));
    let status = s.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn watchdog_is_pinged_at_half_its_period() {
    let dir = tempdir();
    let systemd = Systemd::new(dir.path());
    let s = start(
        dir.path(),
        "auto",
        &[("NOTIFY_SOCKET", systemd.path.to_str().unwrap()), ("WATCHDOG_USEC", "200000")],
    );
    systemd.until("READY=1", Duration::from_secs(10));
    let start = Instant::now();
    let mut pings = 0;
    while start.elapsed() < Duration::from_millis(1500) {
        if let Some(lines) = systemd.next(Duration::from_millis(100)) {
            pings += lines.iter().filter(|l| *l == "WATCHDOG=1").count();
        }
    }
    // Every 100 ms: about 15 in 1.5 s; at least 6 on a loaded machine, and
    // never more than one per 100 ms (plus slack).
    assert!((6..=20).contains(&pings), "{pings} pings in 1.5 s with WATCHDOG_USEC=200000");
    let info = Raw::connect(s.port).ask(b"INFO server\r\n");
    assert!(info.contains("process_supervised:systemd\r\n"), "auto found systemd: {info}");
}

#[test]
fn a_missing_notify_socket_is_a_warning_and_info_says_no() {
    let dir = tempdir();
    let s = start(dir.path(), "systemd", &[]);
    wait_port(s.port);
    let info = Raw::connect(s.port).ask(b"INFO server\r\n");
    assert!(info.contains("process_supervised:no\r\n"), "{info}");
}

/// systemd in a container may pass an abstract socket (`@name`), which
/// libsystemd (Debian's redis-sentinel) accepts.
#[test]
fn an_abstract_notify_socket_hears_ready_and_stopping() {
    let dir = tempdir();
    let systemd = Systemd::abstract_socket(&format!("rsentinel-test-{}", std::process::id()));
    let mut s = start(dir.path(), "systemd", &[("NOTIFY_SOCKET", systemd.path.to_str().unwrap())]);
    systemd.until("READY=1", Duration::from_secs(10));
    sigterm(s.child.id());
    systemd.until("STOPPING=1", Duration::from_secs(5));
    assert_eq!(s.child.wait().unwrap().code(), Some(0));
}
