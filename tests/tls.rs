//! TLS end to end: certificates made in the test with the `openssl` CLI,
//! Debian's redis-server on a `tls-port` only, `redis-cli --tls` against
//! rsentinel's `tls-port`, and a whole failover with every link over TLS.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use rsentinel::resp::Frame;

/// A CA and the certificates it signed, in a temp dir.
struct Certs {
    dir: tempfile::TempDir,
}

impl Certs {
    /// A CA, `redis` (for the servers and the sentinels, used both ways as
    /// redis's `gen-test-certs.sh` does), `client` (for redis-cli), and
    /// `enc.key`, `redis`'s key encrypted with the passphrase `s3cret`.
    fn new() -> Certs {
        let certs = Certs { dir: tempdir() };
        std::fs::write(
            certs.path("openssl.cnf"),
            "[req]\ndistinguished_name = dn\n[dn]\n\
             [ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n\
             subjectKeyIdentifier = hash\n\
             [leaf]\nbasicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\n\
             extendedKeyUsage = serverAuth, clientAuth\nsubjectAltName = IP:127.0.0.1, DNS:localhost\n\
             authorityKeyIdentifier = keyid\n\
             [noname]\nbasicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\n\
             extendedKeyUsage = serverAuth, clientAuth\nsubjectAltName = DNS:elsewhere.invalid\n",
        )
        .expect("write openssl.cnf");
        let ec_key = "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out";
        certs.run(&format!("{ec_key} ca.key"));
        certs.run(
            "req -x509 -new -key ca.key -subj /CN=rsentinel-test-ca -days 2 -config openssl.cnf \
             -extensions ca -out ca.crt",
        );
        // `noname`: signed by the CA, for another host than 127.0.0.1.
        for (name, section) in [("redis", "leaf"), ("client", "leaf"), ("noname", "noname")] {
            certs.run(&format!("{ec_key} {name}.key"));
            certs.run(&format!(
                "req -new -key {name}.key -subj /CN={name} -config openssl.cnf -out {name}.csr"
            ));
            certs.run(&format!(
                "x509 -req -in {name}.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
                 -sha256 -extfile openssl.cnf -extensions {section} -out {name}.crt"
            ));
        }
        certs.run("pkcs8 -topk8 -in redis.key -v2 aes-256-cbc -passout pass:s3cret -out enc.key");
        certs
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn p(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    /// Runs `openssl` with the space-separated `args` in the temp dir.
    fn run(&self, args: &str) {
        let args: Vec<&str> = args.split_whitespace().collect();
        let out = Command::new("openssl")
            .args(&args)
            .current_dir(self.dir.path())
            .output()
            .expect("run openssl (apt-get install openssl)");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// The `tls-*` lines of a sentinel that uses `redis.crt` (key `key`).
    fn sentinel_lines(&self, tls_port: u16, key: &str) -> String {
        format!(
            "tls-port {tls_port}\ntls-cert-file {}\ntls-key-file {}\ntls-ca-cert-file {}\n",
            self.p("redis.crt"),
            self.p(key),
            self.p("ca.crt")
        )
    }

    /// A redis-server on a TLS port only (`tls-replication yes`: a replica
    /// syncs over TLS too).
    fn start_redis(&self, extra: &[&str]) -> Proc {
        self.start_redis_as("redis", extra)
    }

    /// [`Certs::start_redis`] showing the certificate `name`.
    fn start_redis_as(&self, name: &str, extra: &[&str]) -> Proc {
        let port = free_port();
        let (cert, key) = (self.p(&format!("{name}.crt")), self.p(&format!("{name}.key")));
        let ca = self.p("ca.crt");
        let child = Command::new("redis-server")
            .args(["--port", "0", "--tls-port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--tls-cert-file", &cert, "--tls-key-file", &key, "--tls-ca-cert-file", &ca])
            .args(["--tls-replication", "yes", "--save", "", "--appendonly", "no"])
            .args(["--repl-diskless-sync-delay", "0", "--protected-mode", "no"])
            .args(["--dir", self.dir.path().to_str().expect("utf-8 temp dir")])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        wait_port(port);
        Proc { child, port }
    }

    /// `redis-cli --tls` on `port` with these certificate options; (exit
    /// status success, stdout + stderr).
    fn cli(&self, port: u16, cert: Option<&str>, args: &[&str]) -> (bool, String) {
        let mut cmd = Command::new("redis-cli");
        cmd.args([
            "--tls",
            "--cacert",
            &self.p("ca.crt"),
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ]);
        if let Some(name) = cert {
            cmd.args([
                "--cert",
                &self.p(&format!("{name}.crt")),
                "--key",
                &self.p(&format!("{name}.key")),
            ]);
        }
        let out = cmd.args(args).stdin(Stdio::null()).output().expect("run redis-cli");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success() && !text.contains("Error") && !text.contains("ERR"), text)
    }
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("stdout.log")).unwrap_or_default()
}

/// The plain port and the TLS port side by side; `redis-cli --tls` with a
/// client certificate is served, one without is refused
/// (`tls-auth-clients` defaults to yes). The key is an encrypted PKCS#8
/// file opened with `tls-key-file-pass`; refused settings are logged.
#[test]
fn redis_cli_over_tls_and_a_client_without_certificate_refused() {
    let certs = Certs::new();
    let redis = certs.start_redis(&[]);
    let dir = tempdir();
    let tls_port = free_port();
    let body = format!(
        "{}tls-key-file-pass s3cret\ntls-protocols \"TLSv1.1 TLSv1.2 TLSv1.3\"\n\
         tls-ciphers DEFAULT:!MEDIUM\nsentinel monitor mymaster 127.0.0.1 {} 1\n",
        certs.sentinel_lines(tls_port, "enc.key"),
        redis.port
    );
    let s = start_sentinel(dir.path(), &body);
    wait_port(tls_port);
    let (ok, out) = certs.cli(tls_port, Some("client"), &["PING"]);
    assert!(ok && out.trim() == "PONG", "{out}\n{}", log(dir.path()));
    let (ok, out) = certs.cli(tls_port, Some("client"), &["SENTINEL", "MASTERS"]);
    assert!(ok && out.contains("mymaster"), "{out}");
    let (ok, out) = certs.cli(tls_port, None, &["PING"]);
    assert!(!ok && !out.contains("PONG"), "a client without a certificate was served: {out}");
    // The plain port still serves plain clients.
    assert_eq!(call(s.port, &["PING"]), Frame::Simple("PONG".into()));
    let text = log(dir.path());
    assert!(text.contains("tls-protocols: TLSv1.1 refused"), "{text}");
    assert!(text.contains("tls-ciphers: DEFAULT:!MEDIUM refused"), "{text}");
    assert!(text.contains("Ready to accept connections tls"), "{text}");
}

/// `tls-auth-clients optional` serves a client without a certificate; a
/// client certificate from another CA is still refused.
#[test]
fn optional_client_authentication() {
    let certs = Certs::new();
    let other = Certs::new();
    let dir = tempdir();
    let tls_port = free_port();
    let body = format!(
        "port 0\n{}tls-auth-clients optional\nsentinel monitor mymaster 127.0.0.1 1 1\n",
        certs.sentinel_lines(tls_port, "redis.key")
    );
    // `port 0` after common's `port N`: TLS only.
    let _s = spawn_sentinel(dir.path(), &body);
    wait_port(tls_port);
    let (ok, out) = certs.cli(tls_port, None, &["PING"]);
    assert!(ok && out.trim() == "PONG", "{out}\n{}", log(dir.path()));
    let foreign = Command::new("redis-cli")
        .args(["--tls", "--cacert", &certs.p("ca.crt"), "--cert", &other.p("client.crt")])
        .args(["--key", &other.p("client.key"), "-p", &tls_port.to_string(), "PING"])
        .output()
        .expect("redis-cli");
    assert!(!String::from_utf8_lossy(&foreign.stdout).contains("PONG"));
    let info = certs.cli(tls_port, None, &["INFO", "server"]).1;
    assert!(info.contains(&format!("tcp_port:{tls_port}")), "{info}");
}

/// Links check the server's chain against the CA but not the name in its
/// certificate, as redis-sentinel does: a server whose certificate names
/// another host is monitored, one signed by another CA is down.
#[test]
fn links_check_the_chain_not_the_name() {
    let certs = Certs::new();
    let other = Certs::new();
    // No client certificate asked: only the sentinel's checks decide.
    let no_auth = ["--tls-auth-clients", "no"];
    let named_elsewhere = certs.start_redis_as("noname", &no_auth);
    let foreign = other.start_redis(&no_auth);
    let dir = tempdir();
    let body = format!(
        "{}tls-replication yes\n\
         sentinel monitor named 127.0.0.1 {} 1\nsentinel down-after-milliseconds named 500\n\
         sentinel monitor foreign 127.0.0.1 {} 1\nsentinel down-after-milliseconds foreign 500\n",
        certs.sentinel_lines(free_port(), "redis.key"),
        named_elsewhere.port,
        foreign.port
    );
    let s = start_sentinel(dir.path(), &body);
    let master = |name: &str| fields(&call(s.port, &["SENTINEL", "MASTER", name]));
    wait_for(10, "the foreign master subjectively down", || {
        master("foreign")["flags"].contains("s_down")
    });
    wait_for(10, "the master named elsewhere answering INFO", || {
        let m = master("named");
        m["role-reported"] == "master" && m["flags"] == "master"
    });
}

/// A start with a certificate that does not load fails as redis-sentinel's
/// does, before binding anything.
#[test]
fn a_missing_certificate_ends_the_start() {
    let dir = tempdir();
    let path = dir.path().join("sentinel.conf");
    let port = free_port();
    std::fs::write(
        &path,
        format!(
            "port 0\ntls-port {port}\ntls-cert-file /nonexistent.crt\ntls-key-file /nonexistent.key\n\
             tls-auth-clients no\nsentinel monitor m 127.0.0.1 1 1\n"
        ),
    )
    .unwrap();
    let (code, out, err) = run_rsentinel(&[path.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    let all = format!("{out}{err}");
    assert!(all.contains("Failed to load certificate: /nonexistent.crt"), "{all}");
    assert!(all.contains("Failed to configure TLS. Check logs for more info."), "{all}");
}

/// The whole failover over TLS: a master and a replica on TLS ports only,
/// three rsentinels with `tls-replication yes` (their links to the servers
/// and to each other are TLS; they announce their TLS ports). The master
/// is killed; the replica is promoted, `get-master-addr-by-name` names it
/// (asked over TLS too), and the rewritten configs keep the `tls-*` lines.
#[test]
fn whole_failover_over_tls() {
    failover_over_tls(&[true, true, true]);
}

/// The same with Debian's redis-sentinel as the third sentinel: hellos
/// announcing TLS ports and TLS peer links work both ways.
#[test]
fn whole_failover_over_tls_beside_redis_sentinel() {
    failover_over_tls(&[true, true, false]);
}

/// One sentinel per entry (`true`: rsentinel, `false`: redis-sentinel),
/// each with a plain port for the test's own calls and a TLS port.
fn failover_over_tls(ours: &[bool]) {
    let certs = Certs::new();
    let master = certs.start_redis(&[]);
    let mp = master.port.to_string();
    let replica = certs.start_redis(&["--replicaof", "127.0.0.1", &mp]);
    wait_for(10, "the replica in sync over TLS", || {
        let info = certs.cli(replica.port, Some("client"), &["INFO", "replication"]).1;
        info.contains("master_link_status:up")
    });
    let dirs: Vec<_> = ours.iter().map(|_| tempdir()).collect();
    let tls_ports: Vec<u16> = ours.iter().map(|_| free_port()).collect();
    let sentinels: Vec<Proc> = dirs
        .iter()
        .zip(&tls_ports)
        .zip(ours)
        .map(|((d, &tp), &ours)| {
            let body = format!(
                "{}tls-replication yes\nsentinel monitor mymaster 127.0.0.1 {mp} 2\n\
                 sentinel down-after-milliseconds mymaster 1000\n\
                 sentinel failover-timeout mymaster 10000\n",
                certs.sentinel_lines(tp, "redis.key")
            );
            if ours {
                start_sentinel(d.path(), &body)
            } else {
                start_redis_sentinel(d.path(), &body)
            }
        })
        .collect();
    let ports: Vec<u16> = sentinels.iter().map(|s| s.port).collect();
    let show_logs = || dirs.iter().map(|d| log(d.path())).collect::<Vec<_>>().join("\n====\n");
    let guard = Logs(&show_logs);
    wait_discovery(&ports, ours.len() - 1, 1);
    // The peers were found by their hellos, which announce the TLS ports.
    let peers = format!("{:?}", call(ports[0], &["SENTINEL", "SENTINELS", "mymaster"]));
    for tp in &tls_ports[1..] {
        assert!(peers.contains(&format!("\"{tp}\"")), "{tp} not in {peers}");
    }
    let mut events = Events::subscribe(ports[0]);
    signal(&master, "KILL");
    events.wait(
        30,
        &format!("+switch-master mymaster 127.0.0.1 {} 127.0.0.1 {}", master.port, replica.port),
    );
    let new = Frame::Array(vec![
        Frame::Bulk("127.0.0.1".into()),
        Frame::Bulk(replica.port.to_string().into()),
    ]);
    for &p in &ports {
        wait_for(10, "every sentinel to name the replica", || {
            call(p, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"]) == new
        });
    }
    let ask = ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"];
    let (ok, out) = certs.cli(tls_ports[1], Some("client"), &ask);
    let want = format!("127.0.0.1\n{}", replica.port);
    assert!(ok && out.trim() == want, "{out}");
    assert!(certs.cli(replica.port, Some("client"), &["ROLE"]).1.starts_with("master"));
    for (d, _) in dirs.iter().zip(ours).filter(|(_, ours)| **ours) {
        let text = std::fs::read_to_string(d.path().join("sentinel.conf")).unwrap();
        let monitor = format!("sentinel monitor mymaster 127.0.0.1 {} 2", replica.port);
        assert!(text.contains(&monitor), "{text}");
        assert!(text.contains("tls-replication yes") && text.contains("tls-cert-file "), "{text}");
    }
    drop(guard);
}

/// Prints the sentinels' logs when the test fails.
struct Logs<'a>(&'a dyn Fn() -> String);

impl Drop for Logs<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", (self.0)());
        }
    }
}
