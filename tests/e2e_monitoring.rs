//! End to end with real processes: a redis-server master with two replicas
//! and three sentinels on random ports. They discover each other and the
//! replicas; SIGSTOP of the master gives +sdown then +odown; SIGCONT clears
//! them. Then the same with a real redis-sentinel among the three.

mod common;

use common::*;

/// Replicas with priority 0 can never be promoted: these tests observe
/// detection and agreement without a failover getting in the way.
fn cluster() -> (Proc, Proc, Proc) {
    let master = start_redis(&[]);
    let mp = master.port.to_string();
    let r1 = start_redis(&["--replicaof", "127.0.0.1", &mp, "--replica-priority", "0"]);
    let r2 = start_redis(&["--replicaof", "127.0.0.1", &mp, "--replica-priority", "0"]);
    (master, r1, r2)
}

fn body(master_port: u16) -> String {
    format!(
        "sentinel monitor mymaster 127.0.0.1 {master_port} 2\nsentinel down-after-milliseconds mymaster 1000\n\
         sentinel failover-timeout mymaster 60000\n"
    )
}

fn master_fields(port: u16) -> std::collections::BTreeMap<String, String> {
    fields(&call(port, &["SENTINEL", "MASTER", "mymaster"]))
}

fn sees_everyone(port: u16) -> bool {
    let m = master_fields(port);
    m.get("num-slaves").map(String::as_str) == Some("2")
        && m.get("num-other-sentinels").map(String::as_str) == Some("2")
}

fn stop_and_resume_master(master: &Proc, sentinels: &[u16]) {
    let mut events: Vec<Events> = sentinels.iter().map(|&p| Events::subscribe(p)).collect();
    signal(master, "STOP");
    let sdown = format!("+sdown master mymaster 127.0.0.1 {}", master.port);
    for e in &mut events {
        e.wait(15, &sdown);
    }
    let odown = format!("+odown master mymaster 127.0.0.1 {} #quorum", master.port);
    // The quorum is 2 of 3: every sentinel that sees SDOWN reaches ODOWN.
    events[0].wait(15, &odown);
    signal(master, "CONT");
    let back = format!("-sdown master mymaster 127.0.0.1 {}", master.port);
    for e in &mut events {
        e.wait(15, &back);
    }
    events[0].wait(15, &format!("-odown master mymaster 127.0.0.1 {}", master.port));
}

#[test]
fn three_rsentinels_discover_detect_and_agree() {
    let (master, _r1, _r2) = cluster();
    let dirs: Vec<_> = (0..3).map(|_| tempdir()).collect();
    let sentinels: Vec<Proc> =
        dirs.iter().map(|d| start_sentinel(d.path(), &body(master.port))).collect();
    let ports: Vec<u16> = sentinels.iter().map(|s| s.port).collect();
    for &p in &ports {
        wait_for(20, "discovery of 2 replicas and 2 peers", || sees_everyone(p));
    }
    // What was discovered is in the config files, written within a second
    // (discoveries are saved together, not one rewrite each).
    for d in &dirs {
        let path = d.path().join("sentinel.conf");
        let saved = |text: &str| {
            text.matches("sentinel known-replica mymaster").count() == 2
                && text.matches("sentinel known-sentinel mymaster").count() == 2
        };
        wait_for(3, "discoveries saved", || saved(&std::fs::read_to_string(&path).unwrap()));
    }
    let info = call(ports[0], &["INFO", "sentinel"]);
    let info = info.as_str().unwrap_or_default().to_string();
    assert!(
        info.contains(&format!("status=ok,address=127.0.0.1:{},slaves=2,sentinels=3", master.port)),
        "{info}"
    );
    std::mem::forget(dirs);
    stop_and_resume_master(&master, &ports);
}

#[test]
fn mixed_fleet_with_a_real_redis_sentinel() {
    let (master, _r1, _r2) = cluster();
    let dirs: Vec<_> = (0..3).map(|_| tempdir()).collect();
    let real = start_redis_sentinel(dirs[0].path(), &body(master.port));
    let ours: Vec<Proc> =
        dirs[1..].iter().map(|d| start_sentinel(d.path(), &body(master.port))).collect();
    let ports = vec![ours[0].port, ours[1].port, real.port];
    for &p in &ports {
        wait_for(25, "discovery in a mixed fleet", || sees_everyone(p));
    }
    // The real sentinel lists ours by their ids.
    let peers = call(real.port, &["SENTINEL", "SENTINELS", "mymaster"]);
    let rendered = format!("{peers:?}");
    for s in &ours {
        let id = call(s.port, &["SENTINEL", "MYID"]);
        assert!(rendered.contains(id.as_str().unwrap()), "redis-sentinel knows {id:?}: {rendered}");
    }
    stop_and_resume_master(&master, &ports);
}

/// Without `sentinel-pass`, sentinels authenticate to each other with their
/// own `requirepass` (redis-sentinel's legacy shared-password mode): the
/// peers' answers needed for ODOWN (quorum 2) only arrive if AUTH worked.
#[test]
fn requirepass_is_the_fleets_shared_password() {
    let (master, _r1, _r2) = cluster();
    let dirs: Vec<_> = (0..3).map(|_| tempdir()).collect();
    let body = format!("requirepass \"s3cret pw\"\n{}", body(master.port));
    let _sentinels: Vec<Proc> = dirs.iter().map(|d| start_sentinel(d.path(), &body)).collect();
    let log = |d: &tempfile::TempDir| {
        std::fs::read_to_string(d.path().join("stdout.log")).unwrap_or_default()
    };
    wait_for(20, "peer discovery", || {
        dirs.iter().all(|d| log(d).matches("+sentinel sentinel").count() == 2)
    });
    signal(&master, "STOP");
    let odown = format!("+odown master mymaster 127.0.0.1 {} #quorum", master.port);
    wait_for(20, "+odown with the peers' answers", || dirs.iter().any(|d| log(d).contains(&odown)));
    signal(&master, "CONT");
}

/// A master that refuses our password (or wants one we do not have) shows
/// `disconnected`, as in redis-sentinel (its SUBSCRIBE is refused and the
/// pub/sub link dropped); `SENTINEL SET ... auth-pass` reconnects it.
/// Upstream 03-runtime-reconf checks this.
#[test]
fn a_master_refusing_our_password_is_disconnected_until_auth_pass_is_set() {
    let master = start_redis(&["--requirepass", "secret"]);
    let replica = start_redis(&[
        "--replicaof",
        "127.0.0.1",
        &master.port.to_string(),
        "--masterauth",
        "secret",
        "--requirepass",
        "secret",
        "--replica-priority",
        "0",
    ]);
    let dir = tempdir();
    let s = start_sentinel(dir.path(), &body(master.port));
    let flags = |p: u16| master_fields(p).get("flags").cloned().unwrap_or_default();
    // Never connected: the master is "disconnected" for good, not just
    // between two reconnects (several polls in a row).
    std::thread::sleep(std::time::Duration::from_millis(1500));
    for _ in 0..10 {
        assert!(flags(s.port).contains("disconnected"), "{}", flags(s.port));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(
        call(s.port, &["SENTINEL", "SET", "mymaster", "auth-pass", "secret"]),
        rsentinel::resp::Frame::ok()
    );
    wait_for(10, "the master connected with the password", || {
        !flags(s.port).contains("disconnected") && !flags(s.port).contains("s_down")
    });
    wait_for(20, "the replica discovered and connected", || {
        let rsentinel::resp::Frame::Array(rs) = call(s.port, &["SENTINEL", "REPLICAS", "mymaster"])
        else {
            return false;
        };
        rs.len() == 1 && !fields(&rs[0]).get("flags").is_some_and(|f| f.contains("disconnected"))
    });
    drop(replica);
}

/// A password is bytes: one that is not UTF-8, given with `SENTINEL SET
/// auth-pass`, reaches the master's AUTH unchanged, is rewritten with
/// `\xNN` escapes, and still works after a restart from the rewritten file.
#[test]
fn a_non_utf8_password_is_kept_byte_for_byte() {
    let pass: &[u8] = b"p\xff\xfe w\xc3";
    let master = start_redis(&[]);
    let mut m = Raw::connect(master.port);
    m.expect(&multibulk(&[b"CONFIG", b"SET", b"requirepass", pass]), b"+OK\r\n");
    let dir = tempdir();
    let s = start_sentinel(dir.path(), &body(master.port));
    let flags = |p: u16| master_fields(p).get("flags").cloned().unwrap_or_default();
    let mut c = Raw::connect(s.port);
    c.expect(&multibulk(&[b"SENTINEL", b"SET", b"mymaster", b"auth-pass", pass]), b"+OK\r\n");
    wait_for(10, "the master connected with the password", || {
        !flags(s.port).contains("disconnected") && !flags(s.port).contains("s_down")
    });
    let conf = std::fs::read_to_string(dir.path().join("sentinel.conf")).unwrap();
    assert!(conf.contains(r#"sentinel auth-pass mymaster "p\xff\xfe w\xc3""#), "{conf}");
    drop(s);
    let kept: String = conf
        .lines()
        .filter(|l| !l.starts_with("port ") && !l.starts_with("bind "))
        .map(|l| format!("{l}\n"))
        .collect();
    let s = start_sentinel(dir.path(), &kept);
    wait_for(10, "the restarted sentinel connected with the password", || {
        let f = flags(s.port);
        f == "master"
    });
}

/// What changes without an event (the run id learned from INFO, the PING
/// reply times) is built into the view only when a client asks: a
/// `SENTINEL MASTER` shows the master's real run id, and the last PING
/// reply stays recent across many PING periods, although nothing is
/// announced meanwhile.
#[test]
fn silent_changes_reach_queries() {
    let master = start_redis(&[]);
    let dir = tempdir();
    let s = start_sentinel(dir.path(), &body(master.port));
    let info = call(master.port, &["INFO", "server"]);
    let runid = info
        .as_str()
        .expect("INFO is text")
        .lines()
        .find_map(|l| l.strip_prefix("run_id:"))
        .expect("INFO server has run_id")
        .trim()
        .to_string();
    wait_for(10, "the run id in SENTINEL MASTER", || {
        master_fields(s.port).get("runid") == Some(&runid)
    });
    // down-after 1000: a PING every 333 ms; the reply shown must follow.
    for _ in 0..5 {
        std::thread::sleep(std::time::Duration::from_millis(700));
        let age: u64 = master_fields(s.port)["last-ping-reply"].parse().expect("a number");
        assert!(age < 1000, "last-ping-reply {age} ms ago: the view was not refreshed");
    }
}

/// Hundreds of masters share one link to each peer: every hello period
/// the hellos of all of them go out together on it, and each is answered.
/// The link task once held at most 256 commands and dropped the rest
/// while the core went on waiting for their replies: the link's pending
/// commands grew by the overflow every 2 s, without end (a leak of 100 KB
/// a second at a thousand masters). The masters here are addresses where
/// nothing listens (one port on many loopback addresses): hellos to peers
/// go out whether or not a master answers.
#[test]
fn every_hello_on_a_shared_peer_link_is_answered() {
    const MASTERS: usize = 400;
    let dead = free_port();
    let ports = [free_port(), free_port()];
    let ids = ["a".repeat(40), "b".repeat(40)];
    let dirs = [tempdir(), tempdir()];
    let procs: Vec<Proc> = (0..2)
        .map(|me| {
            let other = 1 - me;
            let mut conf =
                format!("bind 127.0.0.1\nport {}\nsentinel myid {}\n", ports[me], ids[me]);
            for i in 0..MASTERS {
                let host = format!("127.0.{}.{}", 1 + i / 250, 1 + i % 250);
                conf += &format!("sentinel monitor m{i} {host} {dead} 2\n");
                conf += &format!(
                    "sentinel known-sentinel m{i} 127.0.0.1 {} {}\n",
                    ports[other], ids[other]
                );
            }
            let path = dirs[me].path().join("sentinel.conf");
            std::fs::write(&path, conf).expect("write config");
            spawn_rsentinel(&path, ports[me], &[])
        })
        .collect();
    for p in &procs {
        wait_port(p.port);
    }
    let pending = |port: u16| -> usize {
        let peers = call(port, &["SENTINEL", "SENTINELS", "m0"]);
        let rsentinel::resp::Frame::Array(peers) = peers else { panic!("not an array") };
        fields(&peers[0])["link-pending-commands"].parse().expect("a number")
    };
    // Four hello periods: the overflow of each would have stayed pending.
    std::thread::sleep(std::time::Duration::from_secs(8));
    for p in &procs {
        let seen: Vec<usize> = (0..5)
            .map(|_| {
                std::thread::sleep(std::time::Duration::from_millis(100));
                pending(p.port)
            })
            .collect();
        assert!(
            seen.iter().any(|&n| n < 10),
            "commands left unanswered on the peer link of port {}: {seen:?}",
            p.port
        );
    }
}
