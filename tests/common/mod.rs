//! Shared helpers for end-to-end tests: real processes on free loopback
//! ports, killed on drop (also when a test fails).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (bound and released; a tiny race with
/// other processes is accepted). Never the same port twice in one test
/// binary: its tests run in parallel, and the kernel may hand a port just
/// released to the next bind, so two tests could be given one port (a
/// metrics test's rsentinel once never came up in CI, most likely so).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind :0");
        let port = listener.local_addr().expect("addr").port();
        if GIVEN.lock().unwrap_or_else(|e| e.into_inner()).insert(port) {
            return port;
        }
    }
}

/// A child process killed (SIGKILL) and reaped when dropped.
pub struct Proc {
    /// The child.
    pub child: Child,
    /// Its port.
    pub port: u16,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until something accepts connections on `port`.
pub fn wait_port(port: u16) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("nothing listens on port {port} after 10 s");
}

/// Starts `rsentinel` on a config written to `dir/sentinel.conf` with a
/// free port; `body` is the config without `port`/`bind`.
pub fn start_sentinel(dir: &Path, body: &str) -> Proc {
    let p = spawn_sentinel(dir, body);
    wait_port(p.port);
    p
}

/// Starts rsentinels in `dirs` at once, as `./lab up` does (their timers
/// run in phase), then waits until each listens.
pub fn start_sentinels_together(dirs: &[&Path], body: &str) -> Vec<Proc> {
    let procs: Vec<Proc> = dirs.iter().map(|d| spawn_sentinel(d, body)).collect();
    for p in &procs {
        wait_port(p.port);
    }
    procs
}

/// [`start_sentinel`] without waiting for the port.
pub fn spawn_sentinel(dir: &Path, body: &str) -> Proc {
    let port = free_port();
    let path = dir.join("sentinel.conf");
    std::fs::write(&path, format!("bind 127.0.0.1\nport {port}\n{body}")).expect("write config");
    spawn_rsentinel(&path, port, &[])
}

/// Starts rsentinel on the config file `path`, which gives `port`, with
/// these command-line arguments after it; its output goes to `stdout.log`
/// and `stderr.log` beside the config.
pub fn spawn_rsentinel(path: &Path, port: u16, args: &[&str]) -> Proc {
    let dir = path.parent().expect("the config is in a directory");
    let log = |name: &str| std::fs::File::create(dir.join(name)).expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_rsentinel"))
        .arg(path)
        .args(args)
        .stdout(log("stdout.log"))
        .stderr(log("stderr.log"))
        .spawn()
        .expect("spawn rsentinel");
    Proc { child, port }
}

/// Runs rsentinel with these arguments to completion: (exit code, stdout, stderr).
pub fn run_rsentinel(args: &[&str]) -> (i32, String, String) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_rsentinel")).args(args).output().expect("run rsentinel");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A raw client connection.
pub struct Raw {
    /// The socket.
    pub stream: TcpStream,
}

impl Raw {
    /// Connects to a port on 127.0.0.1.
    pub fn connect(port: u16) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_read_timeout(Some(Duration::from_millis(200))).expect("timeout");
        Raw { stream }
    }

    /// Sends bytes.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Reads until `expected` is a prefix of what arrived or 5 s pass;
    /// returns everything read.
    pub fn read_until(&mut self, expected: &[u8]) -> Vec<u8> {
        let start = Instant::now();
        let mut got = Vec::new();
        let mut buf = [0u8; 65536];
        while start.elapsed() < Duration::from_secs(5) && got.len() < expected.len() {
            match self.stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
        }
        got
    }

    /// Sends `request` and asserts the exact reply bytes.
    pub fn expect(&mut self, request: &[u8], reply: &[u8]) {
        self.send(request);
        let got = self.read_until(reply);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(reply),
            "reply to {:?}",
            String::from_utf8_lossy(request)
        );
    }

    /// Reads exactly one RESP reply (any type) and returns its bytes.
    pub fn reply(&mut self) -> Vec<u8> {
        self.try_reply().expect("a complete reply within 15 s, before the connection closed")
    }

    /// Reads one RESP reply; `None` if the server closed the connection
    /// first (a `CLIENT KILL` during a reconfiguration) or 15 s passed.
    pub fn try_reply(&mut self) -> Option<Vec<u8>> {
        let start = Instant::now();
        let mut got = Vec::new();
        let mut buf = [0u8; 65536];
        // A server may be busy (DEBUG SLEEP) for a while: wait up to 15 s,
        // and always look at what the last read brought.
        loop {
            if let Ok(Some((_, used))) =
                rsentinel::resp::decode_reply(&got, &rsentinel::resp::Limits::REPLY)
            {
                got.truncate(used);
                return Some(got);
            }
            if start.elapsed() >= Duration::from_secs(15) {
                return None;
            }
            match self.stream.read(&mut buf) {
                Ok(0) => return None,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
        }
    }

    /// Sends a request and returns one reply's bytes.
    pub fn reply_to(&mut self, request: &[u8]) -> Vec<u8> {
        self.send(request);
        self.reply()
    }

    /// Sends a request and returns one reply as text.
    pub fn ask(&mut self, request: &[u8]) -> String {
        self.send(request);
        String::from_utf8_lossy(&self.reply()).into_owned()
    }

    /// True when the server closed the connection (EOF within 5 s).
    pub fn is_closed(&mut self) -> bool {
        let start = Instant::now();
        let mut buf = [0u8; 4096];
        while start.elapsed() < Duration::from_secs(5) {
            match self.stream.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
                Err(_) => {}
            }
        }
        false
    }
}

/// A temporary directory for one test.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// The path of a file in the temp dir.
pub fn file(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

/// Starts a `redis-server` on a free port with test-friendly settings;
/// `extra` adds arguments (e.g. `["--replicaof", "127.0.0.1", "6379"]`).
pub fn start_redis(extra: &[&str]) -> Proc {
    start_redis_on(free_port(), extra)
}

/// [`start_redis`] on a given port (one a sentinel was told to watch
/// before anything listened there).
pub fn start_redis_on(port: u16, extra: &[&str]) -> Proc {
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .args([
            "--repl-diskless-sync-delay",
            "0",
            "--enable-debug-command",
            "yes",
            "--protected-mode",
            "no",
        ])
        // Any RDB a full sync writes goes to the temp dir, not the checkout.
        .args(["--dir", std::env::temp_dir().to_str().expect("utf-8 temp dir")])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn redis-server (apt-get install redis-server)");
    wait_port(port);
    Proc { child, port }
}

/// Starts a real `redis-sentinel` (Debian's package) on a config in `dir`.
pub fn start_redis_sentinel(dir: &Path, body: &str) -> Proc {
    let port = free_port();
    let path = dir.join("sentinel.conf");
    std::fs::write(&path, format!("bind 127.0.0.1\nport {port}\n{body}")).expect("write config");
    let child = Command::new("redis-sentinel")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn redis-sentinel (apt-get install redis-sentinel)");
    wait_port(port);
    Proc { child, port }
}

/// Sends a signal to a process (`STOP`, `CONT`, `KILL`, `TERM`).
pub fn signal(proc: &Proc, sig: &str) {
    let _ = Command::new("kill").arg(format!("-{sig}")).arg(proc.child.id().to_string()).status();
}

/// Sends one command (arguments as a RESP array) and decodes the reply.
pub fn call(port: u16, args: &[&str]) -> rsentinel::resp::Frame {
    try_call(port, args).expect("a reply before the connection closed")
}

/// Like [`call`], but `None` when the server closes the connection first
/// (Sentinel's reconfiguration transaction ends with `CLIENT KILL`).
pub fn try_call(port: u16, args: &[&str]) -> Option<rsentinel::resp::Frame> {
    let mut c = Raw::connect(port);
    let mut req = Vec::new();
    rsentinel::resp::encode_command(args, &mut req);
    c.send(&req);
    let bytes = c.try_reply()?;
    rsentinel::resp::decode_reply(&bytes, &rsentinel::resp::Limits::REPLY)
        .ok()
        .flatten()
        .map(|(f, _)| f)
}

/// A RESP2 flat field/value array (SENTINEL MASTER) as a map.
pub fn fields(frame: &rsentinel::resp::Frame) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    if let rsentinel::resp::Frame::Array(items) = frame {
        for pair in items.chunks(2) {
            if let [k, v] = pair {
                out.insert(
                    k.as_str().unwrap_or("").to_string(),
                    v.as_str().unwrap_or("").to_string(),
                );
            }
        }
    }
    out
}

/// Polls `cond` every 50 ms until it holds; panics with `what` after `secs`.
pub fn wait_for(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out after {secs} s waiting for {what}");
}

/// Waits until every sentinel in `ports` knows `peers` other sentinels and
/// `replicas` replicas of `mymaster`.
pub fn wait_discovery(ports: &[u16], peers: usize, replicas: usize) {
    let (peers, replicas) = (peers.to_string(), replicas.to_string());
    for &p in ports {
        wait_for(30, "discovery of the replicas and the peers", || {
            let m = fields(&call(p, &["SENTINEL", "MASTER", "mymaster"]));
            m.get("num-other-sentinels") == Some(&peers) && m.get("num-slaves") == Some(&replicas)
        });
    }
}

/// A pub/sub subscriber to every event (`PSUBSCRIBE *`) on a sentinel.
pub struct Events {
    raw: Raw,
    buf: Vec<u8>,
    /// Every `channel payload` line received so far.
    pub seen: Vec<String>,
}

impl Events {
    /// Subscribes to all events on the sentinel at `port`.
    pub fn subscribe(port: u16) -> Events {
        let mut raw = Raw::connect(port);
        raw.send(b"PSUBSCRIBE *\r\n");
        let _ = raw.reply();
        Events { raw, buf: Vec::new(), seen: Vec::new() }
    }

    fn pump(&mut self) {
        let mut chunk = [0u8; 65536];
        if let Ok(n) = self.raw.stream.read(&mut chunk) {
            self.buf.extend_from_slice(&chunk[..n]);
        }
        while let Ok(Some((frame, used))) =
            rsentinel::resp::decode_reply(&self.buf, &rsentinel::resp::Limits::REPLY)
        {
            self.buf.drain(..used);
            if let rsentinel::resp::Frame::Array(items) = frame
                && items.len() == 4
            {
                let ch = items[2].as_str().unwrap_or("").to_string();
                let payload = items[3].as_str().unwrap_or("").to_string();
                self.seen.push(format!("{ch} {payload}"));
            }
        }
    }

    /// Reads what is available; true if a line starting with `prefix` was seen.
    pub fn try_wait(&mut self, prefix: &str) -> bool {
        self.pump();
        self.seen.iter().any(|l| l.starts_with(prefix))
    }

    /// Waits until an event line starting with `prefix` arrives.
    pub fn wait(&mut self, secs: u64, prefix: &str) -> String {
        let start = Instant::now();
        loop {
            if let Some(line) = self.seen.iter().find(|l| l.starts_with(prefix)) {
                return line.clone();
            }
            assert!(
                start.elapsed() < Duration::from_secs(secs),
                "no event '{prefix}' within {secs} s; saw: {:#?}",
                self.seen
            );
            self.pump();
        }
    }
}

/// A request in RESP multibulk form (arguments may hold any byte).
pub fn multibulk(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}
