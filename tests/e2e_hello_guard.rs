//! A forged hello (spec §9.2 #9): one `redis-cli PUBLISH __sentinel__:hello`
//! on a monitored master, with a config epoch above the fleet's, redirects
//! every sentinel that does not guard against it. With `sentinel
//! hello-guard yes` (`src/core/guard.rs`) rsentinel refuses it and logs
//! why, and still follows a real failover, led here by redis-sentinel.
//! Real processes on random ports; outcomes asserted, never timings.

mod common;

use std::process::Command;

use common::*;

/// Waits `secs` at most for a sentinel's log (in `dir`) to contain `text`.
fn wait_log(dir: &tempfile::TempDir, secs: u64, text: &str) {
    wait_for(secs, &format!("the log to say {text:?}"), || log(dir).contains(text));
}

fn log(dir: &tempfile::TempDir) -> String {
    std::fs::read_to_string(dir.path().join("stdout.log")).unwrap_or_default()
}

fn master_addr(port: u16) -> String {
    let frame = call(port, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"]);
    match frame {
        rsentinel::resp::Frame::Array(a) if a.len() == 2 => {
            format!("{}:{}", a[0].as_str().unwrap_or(""), a[1].as_str().unwrap_or(""))
        }
        other => format!("{other:?}"),
    }
}

fn myid(port: u16) -> String {
    let frame = call(port, &["SENTINEL", "MYID"]);
    frame.as_str().expect("a run id").to_owned()
}

/// What an attacker with nothing but PUBLISH on the monitored Redis does:
/// a hello from `sender` (`ip,port,runid`) naming `target` the master of
/// `mymaster` under config epoch `epoch`.
fn forge(redis_port: u16, sender: &str, target: u16, epoch: u64) {
    let payload = format!("{sender},0,mymaster,127.0.0.1,{target},{epoch}");
    let out = Command::new("redis-cli")
        .args(["-p", &redis_port.to_string(), "PUBLISH", "__sentinel__:hello", &payload])
        .output()
        .expect("redis-cli (apt-get install redis-tools)");
    assert!(out.status.success(), "redis-cli PUBLISH failed: {out:?}");
}

fn conf(master: u16, extra: &str) -> String {
    format!(
        "sentinel monitor mymaster 127.0.0.1 {master} 1\n\
         sentinel down-after-milliseconds mymaster 2000\n\
         sentinel failover-timeout mymaster 10000\n{extra}"
    )
}

const FORGER: &str = "127.0.0.1,1,f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0";

/// Without the guard (the default), rsentinel follows a forged hello, as
/// redis-sentinel beside it does: that is the compatible behaviour.
#[test]
fn forged_hello_redirects_without_the_guard() {
    let (master, target) = (start_redis(&[]), start_redis(&[]));
    let (d1, d2) = (tempdir(), tempdir());
    let ours = start_sentinel(d1.path(), &conf(master.port, ""));
    let theirs = start_redis_sentinel(d2.path(), &conf(master.port, ""));
    wait_discovery(&[ours.port, theirs.port], 1, 0);

    forge(master.port, FORGER, target.port, 100);
    let forged = format!("127.0.0.1:{}", target.port);
    for p in [ours.port, theirs.port] {
        wait_for(10, "the forged address to be taken", || master_addr(p) == forged);
    }
    assert!(log(&d1).contains("+switch-master"), "{}", log(&d1));
}

/// With the guard, a hello from a sender we did not know is refused, and
/// turning the guard off at run time restores the compatible behaviour.
#[test]
fn guard_refuses_an_unknown_sender_until_turned_off() {
    let (master, target) = (start_redis(&[]), start_redis(&[]));
    let d = tempdir();
    let s = start_sentinel(d.path(), &conf(master.port, "sentinel hello-guard yes\n"));
    let genuine = format!("127.0.0.1:{}", master.port);
    wait_for(10, "the sentinel to subscribe", || {
        format!("{:?}", call(master.port, &["PUBSUB", "NUMSUB", "__sentinel__:hello"]))
            .contains("Integer(1)")
    });

    forge(master.port, FORGER, target.port, 100);
    wait_log(&d, 10, "new configuration refused: its sender is not a sentinel we knew");
    assert_eq!(master_addr(s.port), genuine);
    assert!(!log(&d).contains("+switch-master"));

    call(s.port, &["SENTINEL", "CONFIG", "SET", "hello-guard", "no"]);
    let file = std::fs::read_to_string(d.path().join("sentinel.conf")).expect("config");
    assert!(file.contains("sentinel hello-guard no"), "{file}");
    forge(master.port, FORGER, target.port, 101);
    let forged = format!("127.0.0.1:{}", target.port);
    wait_for(10, "the forged address to be taken", || master_addr(s.port) == forged);
}

/// A guarded rsentinel beside a redis-sentinel: a hello forged in the
/// redis-sentinel's name is checked with it over our link and refused; a
/// real failover that redis-sentinel leads is confirmed and followed.
#[test]
fn guard_refuses_a_forged_peer_and_follows_a_real_failover() {
    let (master, target) = (start_redis(&[]), start_redis(&[]));
    let mp = master.port.to_string();
    let replica = start_redis(&["--replicaof", "127.0.0.1", &mp]);
    wait_for(10, "replica in sync", || {
        format!("{:?}", call(replica.port, &["INFO", "replication"]))
            .contains("master_link_status:up")
    });
    let (d1, d2) = (tempdir(), tempdir());
    let ours = start_sentinel(d1.path(), &conf(master.port, "sentinel hello-guard yes\n"));
    let theirs = start_redis_sentinel(d2.path(), &conf(master.port, ""));
    wait_discovery(&[ours.port, theirs.port], 1, 1);
    let genuine = format!("127.0.0.1:{}", master.port);

    // The forger copies the redis-sentinel's address and run id (both are on
    // the channel for any subscriber); redis-sentinel ignores a hello in its
    // own name, and denies the claim when we ask it.
    let peer = format!("127.0.0.1,{},{}", theirs.port, myid(theirs.port));
    forge(master.port, &peer, target.port, 100);
    wait_log(&d1, 10, "new configuration refused: its sender does not confirm it");
    assert_eq!(master_addr(ours.port), genuine);
    assert_eq!(master_addr(theirs.port), genuine);

    // A real failover, led by redis-sentinel: confirmed, then followed.
    assert_eq!(call(theirs.port, &["SENTINEL", "FAILOVER", "mymaster"]).as_str(), Some("OK"));
    let promoted = format!("127.0.0.1:{}", replica.port);
    wait_for(30, "redis-sentinel to switch", || master_addr(theirs.port) == promoted);
    wait_for(30, "the guarded rsentinel to follow", || master_addr(ours.port) == promoted);
    wait_log(&d1, 1, "hello-guard: new configuration confirmed");
    let epoch =
        fields(&call(ours.port, &["SENTINEL", "MASTER", "mymaster"]))["config-epoch"].clone();
    assert_eq!(epoch, "1", "the real failover's epoch, not the forged 100");
}
