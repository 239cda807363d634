//! ACL users with real processes: `user` lines enforced, AUTH as a user,
//! ACL SETUSER persisted across a restart, and a fleet whose peers
//! authenticate with `sentinel-user`/`sentinel-pass` failing over.

mod common;

use common::*;
use rsentinel::resp::Frame;

/// Sends commands in order on one connection; returns each reply.
fn session(port: u16, commands: &[&[&str]]) -> Vec<Frame> {
    let mut c = Raw::connect(port);
    commands
        .iter()
        .map(|args| {
            let mut req = Vec::new();
            rsentinel::resp::encode_command(args, &mut req);
            c.send(&req);
            let bytes = c.reply();
            rsentinel::resp::decode_reply(&bytes, &rsentinel::resp::Limits::REPLY)
                .expect("a valid reply")
                .expect("a whole reply")
                .0
        })
        .collect()
}

fn err(text: &str) -> Frame {
    Frame::Error(text.into())
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

#[test]
fn a_locked_default_user_refuses_anonymous_clients() {
    let dir = tempdir();
    let s = start_sentinel(
        dir.path(),
        "user default off\nuser app on >s3cret ~* &* +@all\nuser ro on >ro -@all +ping +sentinel|get-master-addr-by-name\n",
    );
    assert_eq!(call(s.port, &["PING"]), err("NOAUTH Authentication required."));
    assert_eq!(call(s.port, &["SENTINEL", "MASTERS"]), err("NOAUTH Authentication required."));
    let replies = session(
        s.port,
        &[
            &["AUTH", "app", "wrong"],
            &["AUTH", "default", ""],
            &["AUTH", "app", "s3cret"],
            &["ACL", "WHOAMI"],
            &["SENTINEL", "MASTERS"],
        ],
    );
    assert_eq!(replies[..3], [err(WRONGPASS), err(WRONGPASS), Frame::Simple("OK".into())]);
    assert_eq!(replies[3], Frame::bulk("app"));
    assert_eq!(replies[4], Frame::Array(vec![]));
    // A restricted user: what it may run, and the refusal of the rest.
    let replies = session(
        s.port,
        &[&["HELLO", "2", "AUTH", "ro", "ro"], &["PING"], &["SENTINEL", "MASTERS"]],
    );
    assert!(matches!(replies[0], Frame::Array(_)), "{:?}", replies[0]);
    assert_eq!(replies[1], Frame::Simple("PONG".into()));
    assert_eq!(
        replies[2],
        err("NOPERM this user has no permissions to run the 'sentinel|masters' command")
    );
    // Both failures and the refusal are in ACL LOG.
    let log = session(s.port, &[&["AUTH", "app", "s3cret"], &["ACL", "LOG"]]);
    let Frame::Array(entries) = &log[1] else { panic!("{:?}", log[1]) };
    let text = format!("{entries:?}");
    assert!(text.contains("sentinel|masters") && text.contains("auth"), "{text}");
}

#[test]
fn requirepass_protects_the_default_user() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), "requirepass \"p w\"\n");
    assert_eq!(call(s.port, &["PING"]), err("NOAUTH Authentication required."));
    let replies = session(s.port, &[&["AUTH", "nope"], &["AUTH", "p w"], &["PING"]]);
    assert_eq!(replies, [err(WRONGPASS), Frame::Simple("OK".into()), Frame::Simple("PONG".into())]);
}

#[test]
fn acl_setuser_survives_a_restart() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), "");
    let replies = session(
        s.port,
        &[
            &["ACL", "SETUSER", "ops", "on", ">pw", "+@all", "&*"],
            &["ACL", "SETUSER", "gone", "on", "nopass"],
            &["ACL", "DELUSER", "gone", "nobody"],
            &["ACL", "SETUSER", "default", "off"],
        ],
    );
    assert_eq!(replies[2], Frame::Integer(1), "{replies:?}");
    assert_eq!(replies[3], Frame::Simple("OK".into()), "{replies:?}");
    let text = std::fs::read_to_string(dir.path().join("sentinel.conf")).unwrap();
    assert!(text.contains("user default off "), "{text}");
    assert!(text.contains("user ops on \"#"), "{text}");
    assert!(!text.contains("gone"), "{text}");
    // The rewritten file loads, and the users are the same.
    let port = s.port;
    drop(s);
    let body: Vec<&str> =
        text.lines().filter(|l| !l.starts_with("port ") && !l.starts_with("bind ")).collect();
    let s2 = start_sentinel(dir.path(), &format!("{}\n", body.join("\n")));
    assert_ne!(s2.port, port);
    assert_eq!(call(s2.port, &["PING"]), err("NOAUTH Authentication required."));
    let replies = session(s2.port, &[&["AUTH", "ops", "pw"], &["ACL", "USERS"]]);
    assert_eq!(replies[0], Frame::Simple("OK".into()));
    assert_eq!(replies[1], Frame::Array(vec![Frame::bulk("default"), Frame::bulk("ops")]));
}

#[test]
fn a_bad_user_line_is_a_config_error_naming_the_line() {
    let dir = tempdir();
    let path = dir.path().join("sentinel.conf");
    std::fs::write(&path, "port 0\nuser app on +nosuchcommand\n").unwrap();
    let (code, _, err) = run_rsentinel(&[path.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(
        err.contains("line 2") && err.contains("Unknown command or category name in ACL"),
        "{err}"
    );
}

#[test]
fn peers_authenticating_with_sentinel_user_fail_over() {
    let master = start_redis(&[]);
    let replica = start_redis(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    let dirs: Vec<_> = (0..3).map(|_| tempdir()).collect();
    let paths: Vec<&std::path::Path> = dirs.iter().map(|d| d.path()).collect();
    let body = format!(
        "user default off\nuser admin on >adminpw ~* &* +@all\n\
         user peer on >peerpw &* -@all +@connection +publish +subscribe +psubscribe +ping +info +sentinel|is-master-down-by-addr +role\n\
         sentinel sentinel-user peer\nsentinel sentinel-pass peerpw\n\
         sentinel monitor mymaster 127.0.0.1 {} 2\n\
         sentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 10000\n",
        master.port
    );
    let fleet = start_sentinels_together(&paths, &body);
    let ask = |port: u16, args: &[&str]| {
        session(port, &[&["AUTH", "admin", "adminpw"], args]).pop().expect("a reply")
    };
    for s in &fleet {
        wait_for(30, "discovery of the peers and the replica", || {
            let m = fields(&ask(s.port, &["SENTINEL", "MASTER", "mymaster"]));
            m.get("num-other-sentinels").map(String::as_str) == Some("2")
                && m.get("num-slaves").map(String::as_str) == Some("1")
        });
        assert_eq!(
            ask(s.port, &["SENTINEL", "CKQUORUM", "mymaster"])
                .as_str()
                .map(|t| t.starts_with("OK")),
            Some(true)
        );
    }
    signal(&master, "STOP");
    let expected = replica.port.to_string();
    for s in &fleet {
        wait_for(30, "the switch to the replica", || {
            match ask(s.port, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"]) {
                Frame::Array(items) => items.get(1).and_then(Frame::as_str) == Some(&expected),
                _ => false,
            }
        });
    }
    // The peers' links authenticated as `peer` throughout: nothing refused.
    let log = ask(fleet[0].port, &["ACL", "LOG"]);
    assert_eq!(log, Frame::Array(vec![]), "refused: {log:?}");
    signal(&master, "CONT");
}

#[test]
fn a_client_whose_user_is_deleted_is_closed_after_the_reply() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), "user tmp on >t +@all &*\n");
    let mut own = Raw::connect(s.port);
    let mut other = Raw::connect(s.port);
    for c in [&mut own, &mut other] {
        c.expect(b"AUTH tmp t\r\n", b"+OK\r\n");
    }
    own.expect(b"ACL DELUSER tmp\r\n", b":1\r\n");
    assert!(own.is_closed(), "the deleting client is closed after its reply");
    assert!(other.is_closed(), "every other client of the user is closed");
    // New clients run as the default user again.
    assert_eq!(call(s.port, &["ACL", "WHOAMI"]), Frame::bulk("default"));
}

#[test]
fn a_subscriber_whose_channel_is_revoked_is_closed() {
    let dir = tempdir();
    let s = start_sentinel(
        dir.path(),
        "user sub on >p -@all +@connection +subscribe &+sdown &+odown\n",
    );
    let mut sub = Raw::connect(s.port);
    sub.expect(b"AUTH sub p\r\n", b"+OK\r\n");
    sub.send(b"SUBSCRIBE +sdown\r\n");
    let _ = sub.reply();
    // Taking away another channel leaves the subscription alone.
    assert_eq!(call(s.port, &["ACL", "SETUSER", "sub", "resetchannels", "&+sdown"]), Frame::ok());
    assert!(!sub.is_closed(), "still allowed: kept");
    assert_eq!(call(s.port, &["ACL", "SETUSER", "sub", "resetchannels"]), Frame::ok());
    assert!(sub.is_closed(), "its channel was revoked: closed, as redis does");
}
