//! End-to-end failovers with real processes on random ports: redis-server
//! instances, rsentinel processes and, for mixed fleets, Debian's
//! redis-sentinel. Outcomes are asserted (who is master, what the config
//! files say), never tight timings.

mod common;

use std::time::Duration;

use common::*;

struct Fleet {
    master: Proc,
    replicas: Vec<Proc>,
    sentinels: Vec<Option<Proc>>,
    dirs: Vec<tempfile::TempDir>,
}

impl Fleet {
    fn ports(&self) -> Vec<u16> {
        self.sentinels.iter().flatten().map(|s| s.port).collect()
    }
}

impl Drop for Fleet {
    /// On failure, show what each sentinel logged: the only way to see why.
    fn drop(&mut self) {
        if std::thread::panicking() {
            for d in &self.dirs {
                let log = std::fs::read_to_string(d.path().join("stdout.log")).unwrap_or_default();
                eprintln!("==== {}\n{log}", d.path().display());
            }
        }
    }
}

fn conf(master_port: u16, quorum: u32, down_after: u64, extra: &str) -> String {
    format!(
        "sentinel monitor mymaster 127.0.0.1 {master_port} {quorum}\n\
         sentinel down-after-milliseconds mymaster {down_after}\n\
         sentinel failover-timeout mymaster 10000\n{extra}"
    )
}

/// Master, `n_replicas` replicas, and one sentinel per entry of `kinds`
/// (`(is_rsentinel, quorum, down_after)`); waits for full discovery.
fn fleet(n_replicas: usize, kinds: &[(bool, u32, u64)], extra: &str) -> Fleet {
    let master = start_redis(&[]);
    let mp = master.port.to_string();
    let replicas: Vec<Proc> =
        (0..n_replicas).map(|_| start_redis(&["--replicaof", "127.0.0.1", &mp])).collect();
    for r in &replicas {
        wait_for(10, "replica in sync", || {
            format!("{:?}", call(r.port, &["INFO", "replication"]))
                .contains("master_link_status:up")
        });
    }
    let dirs: Vec<_> = kinds.iter().map(|_| tempdir()).collect();
    let sentinels = kinds
        .iter()
        .zip(&dirs)
        .map(|(&(ours, quorum, down_after), d)| {
            let body = conf(master.port, quorum, down_after, extra);
            Some(if ours {
                start_sentinel(d.path(), &body)
            } else {
                start_redis_sentinel(d.path(), &body)
            })
        })
        .collect();
    let f = Fleet { master, replicas, sentinels, dirs };
    wait_discovery(&f.ports(), kinds.len() - 1, n_replicas);
    f
}

fn master_addr(port: u16) -> String {
    match call(port, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"]) {
        rsentinel::resp::Frame::Array(a) if a.len() == 2 => {
            format!("{}:{}", a[0].as_str().unwrap_or(""), a[1].as_str().unwrap_or(""))
        }
        other => format!("{other:?}"),
    }
}

fn role(port: u16) -> String {
    let info = format!("{:?}", call(port, &["ROLE"]));
    if info.contains("\"master\"") { "master".into() } else { "replica".into() }
}

/// Waits until every sentinel names `expected` as the master.
fn all_agree_on(ports: &[u16], expected: &str, secs: u64) {
    for &p in ports {
        wait_for(secs, &format!("sentinel {p} to name {expected}"), || master_addr(p) == expected);
    }
}

#[test]
fn debug_sleep_lab_scenario() {
    let f = fleet(1, &[(true, 2, 1000); 3], "");
    let old = format!("127.0.0.1:{}", f.master.port);
    let new = format!("127.0.0.1:{}", f.replicas[0].port);
    let mut all: Vec<Events> = f.ports().iter().map(|&p| Events::subscribe(p)).collect();
    let events = &mut all[0];
    // The classic exercise: the master sleeps (hangs) for a while.
    let mut sleeper = Raw::connect(f.master.port);
    sleeper.send(b"DEBUG SLEEP 6\r\n");
    all_agree_on(&f.ports(), &new, 20);
    events.wait(
        10,
        &format!(
            "+switch-master mymaster 127.0.0.1 {} 127.0.0.1 {}",
            f.master.port, f.replicas[0].port
        ),
    );
    assert_eq!(role(f.replicas[0].port), "master");
    for d in &f.dirs {
        let text = std::fs::read_to_string(d.path().join("sentinel.conf")).unwrap();
        assert!(
            text.contains(&format!("sentinel monitor mymaster 127.0.0.1 {} 2", f.replicas[0].port)),
            "{text}"
        );
        assert!(
            text.contains(&format!("sentinel known-replica mymaster 127.0.0.1 {}", f.master.port)),
            "{text}"
        );
    }
    // When it wakes up, the old master is turned into a replica of the new one.
    wait_for(40, "the old master rejoining as a replica", || {
        // The old master's reconfiguration kills client connections: retry.
        let info = format!("{:?}", try_call(f.master.port, &["INFO", "replication"]));
        info.contains("role:slave") && info.contains(&format!("master_port:{}", f.replicas[0].port))
    });
    // Any sentinel may be the one that converts it; at least one did.
    assert!(
        all.iter_mut().any(|e| e.try_wait(&format!("+convert-to-slave slave {old}"))),
        "+convert-to-slave published by some sentinel"
    );
}

#[test]
fn sigkill_of_the_master() {
    let f = fleet(2, &[(true, 2, 1000); 3], "");
    let replicas: Vec<String> =
        f.replicas.iter().map(|r| format!("127.0.0.1:{}", r.port)).collect();
    signal(&f.master, "KILL");
    wait_for(20, "a replica promoted", || replicas.contains(&master_addr(f.ports()[0])));
    let new = master_addr(f.ports()[0]);
    all_agree_on(&f.ports(), &new, 10);
    // The other replica follows the new master.
    let other = f.replicas.iter().find(|r| !new.ends_with(&format!(":{}", r.port))).unwrap();
    let new_port = new.rsplit(':').next().unwrap().to_string();
    wait_for(20, "the other replica repointed", || {
        format!("{:?}", try_call(other.port, &["INFO", "replication"]))
            .contains(&format!("master_port:{new_port}"))
    });
}

#[test]
fn sigstop_of_the_master() {
    let f = fleet(1, &[(true, 2, 1000); 3], "");
    signal(&f.master, "STOP");
    all_agree_on(&f.ports(), &format!("127.0.0.1:{}", f.replicas[0].port), 20);
    signal(&f.master, "CONT");
}

#[test]
fn failover_with_one_sentinel_down() {
    let mut f = fleet(1, &[(true, 2, 1000); 3], "");
    f.sentinels[2] = None; // killed: 2 of the 3 known sentinels remain, a majority
    signal(&f.master, "KILL");
    all_agree_on(&f.ports(), &format!("127.0.0.1:{}", f.replicas[0].port), 25);
}

#[test]
fn parallel_syncs_is_respected_with_four_replicas() {
    let f = fleet(4, &[(true, 2, 1000); 3], "sentinel parallel-syncs mymaster 1\n");
    let mut events: Vec<Events> = f.ports().iter().map(|&p| Events::subscribe(p)).collect();
    signal(&f.master, "KILL");
    // The leader publishes the reconfiguration events; wait for its end.
    let leader = loop {
        let mut found = None;
        for (i, e) in events.iter_mut().enumerate() {
            if e.try_wait("+failover-end ") {
                found = Some(i);
            }
        }
        if let Some(i) = found {
            break i;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut in_progress = 0i32;
    let mut max = 0;
    let mut sent = 0;
    for line in &events[leader].seen {
        if line.starts_with("+slave-reconf-sent ") {
            in_progress += 1;
            sent += 1;
        } else if line.starts_with("+slave-reconf-done ")
            || line.starts_with("-slave-reconf-sent-timeout ")
        {
            in_progress -= 1;
        }
        max = max.max(in_progress);
    }
    assert_eq!(sent, 3, "three replicas repointed: {:#?}", events[leader].seen);
    assert_eq!(max, 1, "never more than parallel-syncs at once: {:#?}", events[leader].seen);
}

#[test]
fn no_failover_without_a_majority() {
    // Quorum 1: the lone survivor sees ODOWN by itself, but it knows three
    // sentinels and cannot be elected by a majority of them.
    let mut f = fleet(1, &[(true, 1, 1000); 3], "");
    let mut events = Events::subscribe(f.ports()[0]);
    f.sentinels[1] = None;
    f.sentinels[2] = None;
    let old = format!("127.0.0.1:{}", f.master.port);
    signal(&f.master, "KILL");
    events.wait(20, "-failover-abort-not-elected");
    assert_eq!(master_addr(f.ports()[0]), old);
    assert_eq!(role(f.replicas[0].port), "replica", "nobody was promoted");
}

#[test]
fn rsentinel_elected_by_real_sentinels() {
    // rsentinel sees the failure first (quorum 1, short down-after) and asks
    // for votes; the redis-sentinels grant them.
    let f = fleet(1, &[(true, 1, 1000), (false, 2, 5000), (false, 2, 5000)], "");
    let mut ours = Events::subscribe(f.ports()[0]);
    signal(&f.master, "KILL");
    ours.wait(20, "+elected-leader master mymaster");
    all_agree_on(&f.ports(), &format!("127.0.0.1:{}", f.replicas[0].port), 20);
}

#[test]
fn rsentinel_follows_a_real_leader() {
    let f = fleet(1, &[(false, 1, 1000), (true, 2, 5000), (true, 2, 5000)], "");
    let mut ours = Events::subscribe(f.ports()[1]);
    signal(&f.master, "KILL");
    all_agree_on(&f.ports(), &format!("127.0.0.1:{}", f.replicas[0].port), 25);
    ours.wait(5, "+switch-master mymaster");
}

#[test]
fn redis_py_client_writes_through_a_failover() {
    if std::process::Command::new("python3")
        .args(["-c", "import redis"])
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        panic!("redis-py is needed: pip install redis");
    }
    let f = fleet(1, &[(true, 2, 1000); 3], "");
    let sentinels: Vec<String> = f.ports().iter().map(|p| p.to_string()).collect();
    let mut client = std::process::Command::new("python3")
        .arg("tests/clients/redis_py_failover.py")
        .args(&sentinels)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    signal(&f.master, "KILL");
    let status = client.wait().unwrap();
    let out = client.wait_with_output().unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(status.success(), "{text}");
    assert!(text.contains(&format!("master 127.0.0.1:{}", f.replicas[0].port)), "{text}");
}
