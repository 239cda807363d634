//! Server directives of `sentinel.conf` that rsentinel acts on like
//! redis-sentinel: `include`, `rename-command`, `protected-mode`, `bind`
//! (IPv6, `-` optional addresses) and `unixsocket`. Real processes.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{Proc, call, free_port, run_rsentinel, tempdir, wait_for, wait_port};
use rsentinel::resp::Frame;

/// Starts rsentinel on `dir/sentinel.conf` (written from `text`) with `dir`
/// as its working directory.
fn spawn_in(dir: &Path, text: &str, port: u16) -> Proc {
    let path = dir.join("sentinel.conf");
    std::fs::write(&path, text).expect("write config");
    let child = Command::new(env!("CARGO_BIN_EXE_rsentinel"))
        .arg(&path)
        .current_dir(dir)
        .stdout(std::fs::File::create(dir.join("stdout.log")).expect("log"))
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn rsentinel");
    Proc { child, port }
}

fn masters(port: u16) -> Vec<String> {
    match call(port, &["SENTINEL", "MASTERS"]) {
        Frame::Array(ms) => ms.iter().map(|m| common::fields(m)["name"].clone()).collect(),
        other => panic!("SENTINEL MASTERS: {other:?}"),
    }
}

#[test]
fn include_is_followed_inlined_once_and_restarts() {
    let dir = tempdir();
    let conf_d = dir.path().join("conf.d");
    std::fs::create_dir(&conf_d).unwrap();
    std::fs::write(conf_d.join("a.conf"), "sentinel monitor m1 127.0.0.1 1 2\n").unwrap();
    std::fs::write(conf_d.join("b.conf"), "sentinel monitor m2 127.0.0.1 2 2\n").unwrap();
    std::fs::write(dir.path().join("common.conf"), "maxclients 77\n").unwrap();
    let port = free_port();
    // Relative paths, relative to the working directory, as with redis.
    let text = format!("bind 127.0.0.1\nport {port}\ninclude conf.d/*.conf\ninclude common.conf\n");
    let p = spawn_in(dir.path(), &text, port);
    wait_port(port);
    assert_eq!(masters(port), ["m1", "m2"]);
    let info = match call(port, &["INFO", "clients"]) {
        Frame::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("{other:?}"),
    };
    assert!(info.contains("maxclients:77"), "{info}");
    let path = dir.path().join("sentinel.conf");
    wait_for(10, "the state is saved", || {
        std::fs::read_to_string(&path).unwrap().contains("sentinel myid")
    });
    drop(p);
    let saved = std::fs::read_to_string(&path).unwrap();
    // The include with sentinel lines was inlined (each master defined
    // once); the one with server directives only is still an include.
    assert!(saved.contains("# include conf.d/*.conf"), "{saved}");
    assert_eq!(saved.matches("sentinel monitor m1 ").count(), 1, "{saved}");
    assert!(saved.contains("\ninclude common.conf\n"), "{saved}");
    assert_eq!(
        std::fs::read_to_string(conf_d.join("a.conf")).unwrap(),
        "sentinel monitor m1 127.0.0.1 1 2\n"
    );
    // redis-sentinel 7.0.15 fails here ("Duplicate master name."); we restart.
    let out = Command::new(env!("CARGO_BIN_EXE_rsentinel"))
        .args(["--check-config", "sentinel.conf"])
        .current_dir(dir.path())
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let p = spawn_in(dir.path(), &saved, port);
    wait_port(port);
    assert_eq!(masters(port), ["m1", "m2"]);
    drop(p);
}

#[test]
fn errors_in_included_files_name_the_file_and_line() {
    let dir = tempdir();
    let inc = dir.path().join("inc.conf");
    std::fs::write(&inc, "port 5000\nsentinel monitor m 127.0.0.1 notaport 2\n").unwrap();
    let path = dir.path().join("s.conf");
    std::fs::write(&path, format!("port 1\ninclude {}\n", inc.display())).unwrap();
    let (code, _, err) = run_rsentinel(&["--check-config", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    let want = format!("Reading the configuration file {}, at line 2\n", inc.display());
    assert!(err.contains(&want), "{err}");
    std::fs::write(&path, "include nowhere.conf\n").unwrap();
    let (code, _, err) = run_rsentinel(&["--check-config", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("can't open config file 'nowhere.conf'"), "{err}");
    assert!(err.contains(", at line 1\n>>> 'include nowhere.conf'"), "{err}");
}

/// One raw request's raw reply.
fn ask(port: u16, request: &str) -> String {
    let mut raw = common::Raw::connect(port);
    let args: Vec<&str> = request.split(' ').collect();
    let mut bytes = format!("*{}\r\n", args.len());
    for a in &args {
        bytes.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    String::from_utf8_lossy(&raw.reply_to(bytes.as_bytes())).into_owned()
}

#[test]
fn rename_command_renames_the_sentinels_own_commands_like_redis_sentinel() {
    let body =
        "rename-command SENTINEL \"\"\nrename-command PING pong2\nrename-command info SHOW\n";
    let ours_dir = tempdir();
    let theirs_dir = tempdir();
    let ours = common::start_sentinel(ours_dir.path(), body);
    let theirs = common::start_redis_sentinel(theirs_dir.path(), body);
    for request in [
        "PING",
        "pong2",
        "PONG2 hi",
        "SENTINEL MASTERS",
        "INFO",
        "COMMAND COUNT",
        "COMMAND DOCS ping",
        "ROLE",
    ] {
        assert_eq!(ask(ours.port, request), ask(theirs.port, request), "{request}");
    }
    assert!(ask(ours.port, "SHOW server").contains("redis_mode:sentinel"));
    let info = ask(ours.port, "COMMAND INFO pong2");
    assert!(info.starts_with("*1\r\n*10\r\n$4\r\nping\r\n"), "{info}");
    // Only the sentinel's own commands, as redis-sentinel checks.
    let dir = tempdir();
    let path = dir.path().join("s.conf");
    std::fs::write(&path, "port 1\nrename-command CONFIG \"\"\n").unwrap();
    let (code, _, err) = run_rsentinel(&["--check-config", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "at line 2\n>>> 'rename-command CONFIG \"\"'\nNo such command in rename-command"
        ),
        "{err}"
    );
}

/// Connects to 127.0.0.1:`port` from `source`, sends PING, and returns
/// everything read until the server closes or answers (a protected-mode
/// refusal is read to the close).
fn ping_from(source: &str, port: u16) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.bind(format!("{source}:0").parse().expect("addr")).expect("bind source");
        let mut s = socket.connect(([127, 0, 0, 1], port).into()).await.expect("connect");
        s.write_all(b"PING\r\n").await.expect("write");
        let mut got = Vec::new();
        let read = async {
            let mut buf = [0u8; 4096];
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => {
                        got.extend_from_slice(b"<closed>");
                        break;
                    }
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
                if got.ends_with(b"\r\n") && !got.starts_with(b"-DENIED") {
                    break;
                }
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(5), read).await.expect("a reply");
        String::from_utf8_lossy(&got).into_owned()
    })
}

#[test]
fn protected_mode_refuses_non_loopback_clients_like_redis_sentinel() {
    // 127.0.0.2 is on the loopback interface of any Linux machine, but
    // redis only counts 127.0.0.1 and ::1 as local: a non-local client
    // without a second interface.
    let ours_dir = tempdir();
    let theirs_dir = tempdir();
    let ours = common::start_sentinel(ours_dir.path(), "protected-mode yes\n");
    let theirs = common::start_redis_sentinel(theirs_dir.path(), "protected-mode yes\n");
    let refused = ping_from("127.0.0.2", ours.port);
    assert!(refused.starts_with("-DENIED Redis is running in protected mode"), "{refused}");
    assert!(refused.ends_with("\r\n<closed>"), "{refused}");
    assert_eq!(refused, ping_from("127.0.0.2", theirs.port));
    assert_eq!(ping_from("127.0.0.1", ours.port), "+PONG\r\n");
    let stats = ask(ours.port, "INFO stats");
    assert!(stats.contains("rejected_connections:1\r\n"), "{stats}");
    // A password for the default user lifts it, as does protected-mode no (the default).
    let dir = tempdir();
    let with_pass = common::start_sentinel(dir.path(), "protected-mode yes\nrequirepass s\n");
    assert!(ping_from("127.0.0.2", with_pass.port).starts_with("-NOAUTH"));
    let dir = tempdir();
    let default = common::start_sentinel(dir.path(), "");
    assert_eq!(ping_from("127.0.0.2", default.port), "+PONG\r\n");
}

#[test]
fn bind_takes_ipv6_and_optional_addresses_like_redis() {
    let ipv6 = std::net::TcpListener::bind("[::1]:0").is_ok();
    let port = free_port();
    let dir = tempdir();
    // 203.0.113.77 (TEST-NET-3) is on no machine: optional, it is skipped.
    let text = format!("port {port}\nbind 127.0.0.1 -::1 -203.0.113.77\n");
    let _p = spawn_in(dir.path(), &text, port);
    wait_port(port);
    assert_eq!(ask(port, "PING"), "+PONG\r\n");
    if ipv6 {
        let mut s = std::net::TcpStream::connect(("::1", port)).expect("IPv6 loopback listens");
        std::io::Write::write_all(&mut s, b"PING\r\n").unwrap();
        let mut buf = [0u8; 7];
        std::io::Read::read_exact(&mut s, &mut buf).unwrap();
        assert_eq!(&buf, b"+PONG\r\n");
    } else {
        eprintln!("skipped the IPv6 half: no ::1 on this machine");
    }
    let log = std::fs::read_to_string(dir.path().join("stdout.log")).unwrap();
    let warning = |port: u16| {
        format!(
            "Warning: Could not create server TCP listening socket 203.0.113.77:{port}: bind: Cannot assign requested address"
        )
    };
    assert!(log.contains(&warning(port)), "{log}");
    // Without the `-`, the same address ends the start, with redis's words.
    let dir = tempdir();
    let path = dir.path().join("sentinel.conf");
    let port = free_port();
    std::fs::write(&path, format!("port {port}\nbind 127.0.0.1 203.0.113.77\n")).unwrap();
    let (code, out, err) = run_rsentinel(&[path.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains(&warning(port)), "{out}");
    assert!(out.contains(&format!("Failed listening on port {port} (TCP), aborting.")), "{out}");
}

#[test]
fn unixsocket_serves_clients_with_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    let sock = dir.path().join("s.sock");
    std::fs::write(&sock, "stale").unwrap(); // replaced, as redis does
    let port = free_port();
    let text = format!(
        "bind 127.0.0.1\nport {port}\nprotected-mode yes\nunixsocket {}\nunixsocketperm 700\n",
        sock.display()
    );
    let p = spawn_in(dir.path(), &text, port);
    wait_port(port);
    let cli = |args: &[&str]| {
        let out = Command::new("redis-cli")
            .arg("-s")
            .arg(&sock)
            .args(args)
            .output()
            .expect("redis-cli (apt-get install redis-tools)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    wait_for(10, "the unix socket answers", || cli(&["ping"]) == "PONG\n");
    let mode = std::fs::metadata(&sock).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    let list = cli(&["client", "list"]);
    assert!(list.contains(&format!("addr={}:0 ", sock.display())), "{list}");
    assert!(cli(&["sentinel", "myid"]).len() == 41);
    drop(p);
    // With port 0 the unix socket alone is enough to start.
    let port = free_port();
    let text = format!("port 0\nunixsocket {}\n", sock.display());
    let _p = spawn_in(dir.path(), &text, port);
    wait_for(10, "the unix socket answers alone", || cli(&["ping"]) == "PONG\n");
}
