//! End to end: the `rsentinel` binary on a YAML config file, and the
//! sample configs in `examples/`.
//!
//! Self-contained on purpose (raw RESP by hand, no redis-cli): a random
//! free port, a temp dir per test, the process killed by PID on drop.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rsentinel::config::{Format, load_str};

/// A child process, killed and reaped when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        // By PID: this very child, nothing else.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nobody listens on right now (bind :0, read it, close).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind :0");
    listener.local_addr().expect("local addr").port()
}

/// Sends one command as a RESP array of bulk strings; returns the raw reply
/// once it is complete (`complete` says when).
fn ask(port: u16, args: &[&str], complete: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let mut request = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        request.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    stream.write_all(&request).expect("send");
    let mut reply = Vec::new();
    let mut buf = [0u8; 1024];
    while !complete(&reply) {
        let n = stream.read(&mut buf).expect("read reply");
        assert!(n > 0, "connection closed after {:?}", String::from_utf8_lossy(&reply));
        reply.extend_from_slice(&buf[..n]);
    }
    reply
}

/// Polls `cond` every 50 ms for up to `secs` seconds.
fn wait_for(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn rsentinel_runs_on_a_yaml_file_and_rewrites_it_as_yaml() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sentinel.yaml");
    let (port, master_port) = (free_port(), free_port());
    let text = format!(
        "# written by the test\nport: {port}\nbind: [127.0.0.1]\nmasters:\n  mymaster:\n    \
         host: 127.0.0.1\n    port: {master_port}\n    quorum: 2\n    down-after: 5s\n"
    );
    std::fs::write(&path, text).expect("write config");
    let child = Command::new(env!("CARGO_BIN_EXE_rsentinel"))
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start rsentinel");
    let _running = Running(child);

    wait_for(10, "the port to open", || TcpStream::connect(("127.0.0.1", port)).is_ok());
    let want =
        format!("*2\r\n$9\r\n127.0.0.1\r\n${}\r\n{master_port}\r\n", master_port.to_string().len());
    let reply = ask(port, &["SENTINEL", "get-master-addr-by-name", "mymaster"], |r| {
        r.len() >= want.len() || r.starts_with(b"-")
    });
    assert_eq!(String::from_utf8_lossy(&reply), want);

    // The generated myid is persisted, and the file is still YAML.
    let mut rewritten = String::new();
    wait_for(10, "the config rewrite", || {
        rewritten = std::fs::read_to_string(&path).unwrap_or_default();
        rewritten.contains("myid:")
    });
    assert!(!rewritten.contains("# written by the test"), "regenerated:\n{rewritten}");
    let config = load_str(Format::Yaml, &rewritten, &[]).expect("the rewrite loads as YAML");
    let myid = config.sentinel.myid.expect("a myid");
    assert_eq!(myid.as_str().len(), 40);
    assert!(myid.as_str().bytes().all(|b| b.is_ascii_hexdigit()), "{myid:?}");
    assert_eq!(config.server.port, port);
    assert_eq!(config.masters[0].down_after_ms, 5000);
}

#[test]
fn yaml_errors_name_the_file_line_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yml");
    let text = "port: 5000\nmasters:\n  m:\n    host: 127.0.0.1\n    port: 6379\n    quorum: 2\n    \
                down-after: fast\n";
    std::fs::write(&path, text).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_rsentinel"))
        .arg("--check-config")
        .arg(&path)
        .output()
        .expect("run rsentinel");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim_end(),
        format!("{}: line 7: masters.m.down-after: invalid duration 'fast'", path.display())
    );
}

#[test]
fn the_example_configs_load() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for name in ["sentinel.conf", "sentinel.yaml"] {
        let path = examples.join(name);
        let out = Command::new(env!("CARGO_BIN_EXE_rsentinel"))
            .arg("--check-config")
            .arg(&path)
            .output()
            .expect("run rsentinel");
        assert!(
            out.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Both samples describe the same sentinel.
    let read = |name: &str| std::fs::read_to_string(examples.join(name)).expect("read example");
    let conf = load_str(Format::Conf, &read("sentinel.conf"), &[]).expect("conf");
    let yaml = load_str(Format::Yaml, &read("sentinel.yaml"), &[]).expect("yaml");
    assert_eq!(conf, yaml);
}
