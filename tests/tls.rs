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
        Certs::with_ca("rsentinel-test-ca")
    }

    /// [`Certs::new`] with a CA of this common name (the same name as
    /// another CA's makes its certificates' issuer name match that CA).
    fn with_ca(ca_name: &str) -> Certs {
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
        certs.run(&format!(
            "req -x509 -new -key ca.key -subj /CN={ca_name} -days 2 -config openssl.cnf \
                 -extensions ca -out ca.crt"
        ));
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
        // `v1`: X.509 version 1, what `openssl x509 -req` signs without
        // `-extfile` (no extensions at all), with an RSA key (the others are
        // EC) for the other signature algorithms.
        certs.run("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out v1.key");
        certs.run("req -new -key v1.key -subj /CN=v1 -config openssl.cnf -out v1.csr");
        certs.run(
            "x509 -req -in v1.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out v1.crt",
        );
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

/// X.509 version 1 certificates work where redis-sentinel takes them: as
/// the sentinel's own (served on `tls-port`, shown on its links), as a
/// monitored server's, and as a client's; one signed by another CA is
/// still refused, both ways.
#[test]
fn version_1_certificates_are_taken_as_redis_sentinel_takes_them() {
    let certs = Certs::new();
    let other = Certs::new();
    let version = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in", &certs.p("v1.crt")])
        .output()
        .expect("openssl");
    assert!(String::from_utf8_lossy(&version.stdout).contains("Version: 1 (0x0)"));
    // The server asks for a client certificate: ours (v1) must pass its CA
    // check too. TLS 1.2 only, for the TLS 1.2 signature path.
    let server = certs.start_redis_as("v1", &["--tls-protocols", "TLSv1.2"]);
    let foreign = other.start_redis_as("v1", &["--tls-auth-clients", "no"]);
    let dir = tempdir();
    let tls_port = free_port();
    let body = format!(
        "tls-port {tls_port}\ntls-cert-file {}\ntls-key-file {}\ntls-ca-cert-file {}\n\
         tls-replication yes\nloglevel debug\n\
         sentinel monitor v1 127.0.0.1 {} 1\nsentinel down-after-milliseconds v1 500\n\
         sentinel monitor foreign 127.0.0.1 {} 1\n\
         sentinel down-after-milliseconds foreign 500\n",
        certs.p("v1.crt"),
        certs.p("v1.key"),
        certs.p("ca.crt"),
        server.port,
        foreign.port
    );
    let s = start_sentinel(dir.path(), &body);
    let guard = Logs(&|| log(dir.path()));
    let master = |name: &str| fields(&call(s.port, &["SENTINEL", "MASTER", name]));
    wait_for(10, "the v1 master answering INFO over TLS", || {
        let m = master("v1");
        m["role-reported"] == "master" && m["flags"] == "master"
    });
    wait_for(10, "the master with a foreign v1 certificate down", || {
        master("foreign")["flags"].contains("s_down")
    });
    // As a client of our tls-port: ours is served, the other CA's refused.
    let (ok, out) = certs.cli(tls_port, Some("v1"), &["PING"]);
    assert!(ok && out.trim() == "PONG", "{out}");
    let refused = Command::new("redis-cli")
        .args(["--tls", "--cacert", &certs.p("ca.crt"), "--cert", &other.p("v1.crt")])
        .args(["--key", &other.p("v1.key"), "-p", &tls_port.to_string(), "PING"])
        .output()
        .expect("redis-cli");
    let refused = String::from_utf8_lossy(&refused.stdout);
    assert!(!refused.contains("PONG"), "a client certificate of another CA was served: {refused}");
    let text = log(dir.path());
    assert!(text.contains("BadSignature (the server's certificate names a CA"), "{text}");
    drop(guard);
}

/// A link whose TLS session cannot be set up is logged (at `loglevel
/// debug`) with redis-sentinel's words, `-cmd-link-reconnection` and
/// `-pubsub-link-reconnection` `... #Failed to initialize TLS`, the cause
/// on the line before; none is published. A TLS server reached in plain
/// TCP gets no such event (it closes a connection that was up), as with
/// redis-sentinel.
#[test]
fn tls_link_failures_are_logged_with_redis_sentinel_words() {
    let certs = Certs::new();
    let other = Certs::with_ca("another-ca");
    let foreign = other.start_redis(&["--tls-auth-clients", "no"]);
    let dir = tempdir();
    let body = format!(
        "{}tls-replication yes\nloglevel debug\nsentinel monitor foreign 127.0.0.1 {} 1\n",
        certs.sentinel_lines(free_port(), "redis.key"),
        foreign.port
    );
    let s = start_sentinel(dir.path(), &body);
    let mut events = Events::subscribe(s.port);
    let want = |kind: &str| {
        format!(
            "-{kind}-link-reconnection master foreign 127.0.0.1 {} #Failed to initialize TLS",
            foreign.port
        )
    };
    wait_for(10, "both reconnection events in the log", || {
        let text = log(dir.path());
        text.contains(&want("cmd")) && text.contains(&want("pubsub"))
    });
    let text = log(dir.path());
    assert!(
        text.contains("TLS handshake failed: invalid peer certificate: UnknownIssuer"),
        "{text}"
    );
    // Plain links to a TLS-only server: it closes them, no event.
    let plain_dir = tempdir();
    let tls_only = certs.start_redis(&["--tls-auth-clients", "no"]);
    let plain_body = format!(
        "loglevel debug\nsentinel monitor tlsonly 127.0.0.1 {} 1\n\
         sentinel down-after-milliseconds tlsonly 500\n",
        tls_only.port
    );
    let plain = start_sentinel(plain_dir.path(), &plain_body);
    wait_for(10, "the TLS-only master down for a plain sentinel", || {
        fields(&call(plain.port, &["SENTINEL", "MASTER", "tlsonly"]))["flags"].contains("s_down")
    });
    let text = log(plain_dir.path());
    assert!(!text.contains("link-reconnection"), "{text}");
    // Debug events are not published.
    assert!(!events.try_wait("-cmd-link-reconnection"), "{:?}", events.seen);
    assert!(!events.try_wait("-pubsub-link-reconnection"), "{:?}", events.seen);
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

/// Our own version 1 certificate with a key that is not its own: the start
/// fails, naming the mismatch (rustls's own check cannot read a version 1
/// certificate, ours does).
#[test]
fn a_version_1_certificate_with_another_key_ends_the_start() {
    let certs = Certs::new();
    let dir = tempdir();
    let path = dir.path().join("sentinel.conf");
    let body = format!(
        "port 0\ntls-port {}\ntls-cert-file {}\ntls-key-file {}\ntls-auth-clients no\n\
         sentinel monitor m 127.0.0.1 1 1\n",
        free_port(),
        certs.p("v1.crt"),
        certs.p("redis.key")
    );
    std::fs::write(&path, body).unwrap();
    let (code, out, err) = run_rsentinel(&[path.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    let all = format!("{out}{err}");
    assert!(
        all.contains(
            "Failed to load certificate and private key: the private key does not match the \
             certificate"
        ),
        "{all}"
    );
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
