//! End-to-end hostnames (`resolve-hostnames`, `announce-hostnames`): a
//! master monitored by the name `localhost`, a replica known by name and
//! reported by IP, hellos and replies that carry the name, a failover by
//! name. Real redis-server and rsentinel processes on random ports.

mod common;

use common::*;
use rsentinel::resp::Frame;

fn master_addr(port: u16) -> (String, String) {
    match call(port, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"]) {
        Frame::Array(a) if a.len() == 2 => {
            (a[0].as_str().unwrap_or("").to_string(), a[1].as_str().unwrap_or("").to_string())
        }
        other => panic!("no master address: {other:?}"),
    }
}

fn replicas(port: u16) -> Vec<std::collections::BTreeMap<String, String>> {
    match call(port, &["SENTINEL", "REPLICAS", "mymaster"]) {
        Frame::Array(items) => items.iter().map(fields).collect(),
        other => panic!("SENTINEL REPLICAS: {other:?}"),
    }
}

/// The next hello published on the Redis at `port` (every 2 s).
fn next_hello(port: u16) -> String {
    let mut sub = Raw::connect(port);
    sub.send(b"SUBSCRIBE __sentinel__:hello\r\n");
    let _ = sub.reply();
    let bytes = sub.reply();
    let frame = rsentinel::resp::decode_reply(&bytes, &rsentinel::resp::Limits::REPLY)
        .ok()
        .flatten()
        .map(|(f, _)| f);
    match frame {
        Some(Frame::Array(items) | Frame::Push(items)) if items.len() == 3 => {
            items[2].as_str().unwrap_or("").to_string()
        }
        other => panic!("not a hello message: {other:?}"),
    }
}

/// One instance, known by name and reported by IP, is one instance;
/// announce-hostnames decides which form replies and hellos carry; a
/// failover by name promotes the replica and names it.
#[test]
fn master_and_replica_known_by_name() {
    let master = start_redis(&[]);
    let (mp, master_port) = (master.port, master.port.to_string());
    // The replica follows "localhost"; the master's INFO reports it by IP.
    let replica = start_redis(&["--replicaof", "localhost", &master_port]);
    let rp = replica.port.to_string();
    wait_for(10, "replica in sync", || {
        format!("{:?}", call(replica.port, &["INFO", "replication"]))
            .contains("master_link_status:up")
    });
    let dir = tempdir();
    let body = format!(
        "sentinel resolve-hostnames yes\n\
         sentinel announce-hostnames yes\n\
         sentinel monitor mymaster localhost {mp} 1\n\
         sentinel known-replica mymaster localhost {rp}\n\
         sentinel down-after-milliseconds mymaster 1000\n\
         sentinel failover-timeout mymaster 10000\n"
    );
    let s = start_sentinel(dir.path(), &body);
    let sp = s.port;
    let mut events = Events::subscribe(sp);

    // One master and one replica, both by name, connected.
    wait_for(10, "master and replica connected", || {
        let m = fields(&call(sp, &["SENTINEL", "MASTER", "mymaster"]));
        let r = replicas(sp);
        m.get("flags").map(String::as_str) == Some("master")
            && r.len() == 1
            && r[0].get("flags").map(String::as_str) == Some("slave")
            && r[0].get("master-link-status").map(String::as_str) == Some("ok")
    });
    let m = fields(&call(sp, &["SENTINEL", "MASTER", "mymaster"]));
    assert_eq!(m["ip"], "localhost");
    assert_eq!(m["num-slaves"], "1", "the replica reported by IP is the one known by name");
    let r = replicas(sp);
    assert_eq!(
        (r[0]["name"].as_str(), r[0]["ip"].as_str()),
        (&*format!("localhost:{rp}"), "localhost")
    );
    assert_eq!(master_addr(sp), ("localhost".to_string(), master_port.clone()));

    // Hellos name the master as it is monitored.
    let hello = next_hello(mp);
    let f: Vec<&str> = hello.split(',').collect();
    assert_eq!((f[4], f[5], f[6]), ("mymaster", "localhost", &*master_port), "{hello}");

    // announce-hostnames no: the same instances by the IP the name reached.
    call(sp, &["SENTINEL", "CONFIG", "SET", "announce-hostnames", "no"]);
    let (host, port) = master_addr(sp);
    assert!(host == "127.0.0.1" || host == "::1", "{host}");
    assert_eq!(port, master_port);
    assert_eq!(replicas(sp)[0]["ip"], host);
    wait_for(10, "a hello with the IP", || next_hello(mp).split(',').nth(5) == Some(&host));
    call(sp, &["SENTINEL", "CONFIG", "SET", "announce-hostnames", "yes"]);

    // A failover by name: the replica is promoted, the switch names it,
    // and the old master follows it under its name.
    assert_eq!(call(sp, &["SENTINEL", "FAILOVER", "mymaster"]), Frame::ok());
    let switch = events.wait(30, "+switch-master");
    assert_eq!(switch, format!("+switch-master mymaster localhost {mp} localhost {rp}"));
    assert_eq!(master_addr(sp), ("localhost".to_string(), rp.clone()));
    wait_for(30, "the old master follows the new one", || {
        let info = format!("{:?}", call(mp, &["INFO", "replication"]));
        info.contains("role:slave") && info.contains(&format!("master_port:{rp}"))
    });
    // The new master's INFO reports the old one by IP: still one replica,
    // the one known by name.
    wait_for(30, "the old master as the only replica", || {
        let r = replicas(sp);
        r.len() == 1
            && r[0]["name"] == format!("localhost:{mp}")
            && r[0].get("flags").map(String::as_str) == Some("slave")
    });
    let conf = std::fs::read_to_string(dir.path().join("sentinel.conf")).expect("config");
    assert!(conf.contains(&format!("sentinel monitor mymaster localhost {rp} 1")), "{conf}");
    assert!(conf.contains(&format!("sentinel known-replica mymaster localhost {mp}")), "{conf}");
    assert!(!conf.contains("mymaster 127.0.0.1"), "names are kept in the file: {conf}");
}

/// SENTINEL MONITOR refuses a name without resolve-hostnames, and a name
/// that does not resolve with it, with redis-sentinel's error.
#[test]
fn monitor_checks_names() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), "");
    let invalid = Frame::error("ERR Invalid IP address or hostname specified");
    let monitor = |host: &str| call(s.port, &["SENTINEL", "MONITOR", "m", host, "6379", "1"]);
    assert_eq!(monitor("localhost"), invalid);
    call(s.port, &["SENTINEL", "CONFIG", "SET", "resolve-hostnames", "yes"]);
    assert_eq!(monitor("no-such-host.invalid"), invalid);
    assert_eq!(monitor("localhost"), Frame::ok());
    let m = fields(&call(s.port, &["SENTINEL", "MASTER", "m"]));
    assert_eq!(m["ip"], "localhost");
}
