//! End-to-end `SENTINEL FAILOVER <name> COORDINATED` with real processes:
//! a master, one replica and three rsentinels; a writer keeps `INCR`ing a
//! counter on whichever node the sentinels name as master and counts the
//! increments that were acknowledged. After the switch, the new master's
//! counter holds at least that many: no acknowledged write was lost (a
//! plain SENTINEL FAILOVER leaves the old master writable for ≈ 10 s).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use rsentinel::resp::{Frame, Limits, decode_reply, encode_command};

/// One request on a persistent connection; any failure is an error (the
/// writer then reconnects), never a panic.
fn request(stream: &mut TcpStream, args: &[&str]) -> Result<Frame, String> {
    let mut req = Vec::new();
    encode_command(args, &mut req);
    stream.write_all(&req).map_err(|e| e.to_string())?;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Ok(Some((frame, _))) = decode_reply(&got, &Limits::REPLY) {
            return Ok(frame);
        }
        match stream.read(&mut buf) {
            Ok(0) => return Err("closed".into()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => return Err(e.to_string()),
        }
    }
}

fn connect(port: u16) -> Result<TcpStream, String> {
    let s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(3))).map_err(|e| e.to_string())?;
    Ok(s)
}

/// The master port a sentinel names, if it answers.
fn named_master(sentinel: u16) -> Option<u16> {
    let mut s = connect(sentinel).ok()?;
    match request(&mut s, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"]).ok()? {
        Frame::Array(a) if a.len() == 2 => a[1].as_str()?.parse().ok(),
        _ => None,
    }
}

/// What the writer saw.
#[derive(Debug, Default)]
struct Tally {
    /// Acknowledged increments, all nodes together.
    acked: u64,
    /// Acknowledged increments per node port.
    by_port: std::collections::BTreeMap<u16, u64>,
    /// Error replies and connection failures.
    errors: u64,
}

/// `INCR counter` in a loop on the node the sentinels name, until `stop`.
fn writer(sentinels: Vec<u16>, stop: Arc<AtomicBool>) -> Tally {
    let mut tally = Tally::default();
    let mut conn: Option<(u16, TcpStream)> = None;
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        // Ask the sentinels every few writes, as a client library would on
        // every error; rotate so that no single sentinel's view is trusted.
        let Some(port) = named_master(sentinels[i % sentinels.len()]) else {
            tally.errors += 1;
            continue;
        };
        if conn.as_ref().is_none_or(|(p, _)| *p != port) {
            conn = connect(port).ok().map(|s| (port, s));
        }
        let Some((_, stream)) = conn.as_mut() else {
            tally.errors += 1;
            continue;
        };
        match request(stream, &["INCR", "counter"]) {
            Ok(Frame::Integer(_)) => {
                tally.acked += 1;
                *tally.by_port.entry(port).or_default() += 1;
            }
            Ok(_) | Err(_) => {
                tally.errors += 1;
                conn = None;
            }
        }
    }
    tally
}

fn redis_role(port: u16) -> String {
    match call(port, &["ROLE"]) {
        Frame::Array(a) => a.first().and_then(Frame::as_str).unwrap_or("").to_owned(),
        other => format!("{other:?}"),
    }
}

#[test]
fn coordinated_switchover_loses_no_acknowledged_write() {
    let master = start_redis(&[]);
    let mp = master.port.to_string();
    let replica = start_redis(&["--replicaof", "127.0.0.1", &mp]);
    wait_for(10, "replica in sync", || {
        format!("{:?}", call(replica.port, &["INFO", "replication"]))
            .contains("master_link_status:up")
    });
    let dirs: Vec<_> = (0..3).map(|_| tempdir()).collect();
    let body = format!(
        "sentinel monitor mymaster 127.0.0.1 {mp} 2\n\
         sentinel down-after-milliseconds mymaster 1000\n\
         sentinel failover-timeout mymaster 10000\n"
    );
    let sentinels: Vec<Proc> = dirs.iter().map(|d| start_sentinel(d.path(), &body)).collect();
    let ports: Vec<u16> = sentinels.iter().map(|s| s.port).collect();
    wait_discovery(&ports, 2, 1);
    // Redis's FAILOVER needs the replica online on the master's side.
    wait_for(10, "the master sees its replica online", || {
        format!("{:?}", call(master.port, &["INFO", "replication"])).contains("state=online")
    });

    let mut events = Events::subscribe(ports[0]);
    // A client idle on the old master: the hand-over's CLIENT KILL ends it,
    // so that it asks the sentinels again (FAILOVER TO alone would not).
    let mut idle = Raw::connect(master.port);
    idle.expect(b"PING\r\n", b"+PONG\r\n");
    let stop = Arc::new(AtomicBool::new(false));
    let w = {
        let (ports, stop) = (ports.clone(), stop.clone());
        std::thread::spawn(move || writer(ports, stop))
    };
    std::thread::sleep(Duration::from_millis(500));

    let reply = call(ports[0], &["SENTINEL", "FAILOVER", "mymaster", "COORDINATED"]);
    assert_eq!(reply, Frame::ok(), "SENTINEL FAILOVER mymaster COORDINATED");
    events.wait(10, "+failover-state-coordinated");
    events.wait(
        20,
        &format!("+switch-master mymaster 127.0.0.1 {} 127.0.0.1 {}", master.port, replica.port),
    );
    for &p in &ports {
        wait_for(20, "every sentinel names the replica", || named_master(p) == Some(replica.port));
    }
    assert_eq!(redis_role(replica.port), "master");
    // The old master handed over and follows the new one by itself.
    assert_eq!(redis_role(master.port), "slave");
    wait_for(10, "the idle client of the old master is disconnected", || idle.is_closed());
    // Let the writer go on against the new master for a while.
    std::thread::sleep(Duration::from_millis(1000));
    stop.store(true, Ordering::Relaxed);
    let tally = w.join().expect("writer thread");

    let value = match call(replica.port, &["GET", "counter"]) {
        Frame::Bulk(b) => String::from_utf8_lossy(&b).parse::<u64>().expect("a number"),
        other => panic!("GET counter: {other:?}"),
    };
    eprintln!("counter={value} {tally:?}");
    assert!(tally.by_port.get(&master.port).copied().unwrap_or(0) > 0, "wrote before: {tally:?}");
    assert!(tally.by_port.get(&replica.port).copied().unwrap_or(0) > 0, "wrote after: {tally:?}");
    assert!(value >= tally.acked, "lost acknowledged writes: counter {value} < {tally:?}");
    // The old master was never converted by SLAVEOF: it switched itself.
    assert!(!events.try_wait("+convert-to-slave"), "{:#?}", events.seen);
    let replicas = call(ports[0], &["SENTINEL", "REPLICAS", "mymaster"]);
    assert!(format!("{replicas:?}").contains(&master.port.to_string()), "{replicas:?}");
}

fn failover_state(port: u16) -> String {
    let info = format!("{:?}", call(port, &["INFO", "replication"]));
    let at = info.find("master_failover_state:").map(|i| i + 22).unwrap_or(0);
    info[at..].split("\\r\\n").next().unwrap_or("").to_owned()
}

#[test]
fn a_stuck_failover_on_the_master_is_aborted() {
    let master = start_redis(&[]);
    let mp = master.port.to_string();
    let replica = start_redis(&["--replicaof", "127.0.0.1", &mp]);
    wait_for(10, "the master sees its replica online", || {
        format!("{:?}", call(master.port, &["INFO", "replication"])).contains("state=online")
    });
    let dir = tempdir();
    let body = format!(
        "sentinel monitor mymaster 127.0.0.1 {mp} 1\n\
         sentinel down-after-milliseconds mymaster 20000\n\
         sentinel failover-timeout mymaster 1000\n"
    );
    let s = start_sentinel(dir.path(), &body);
    assert_eq!(call(s.port, &["SENTINEL", "DEBUG", "info-period", "300"]), Frame::ok());
    let mut events = Events::subscribe(s.port);
    // A forced hand-over to a replica that cannot answer: the master
    // demotes itself and waits for ever, its writes paused.
    signal(&replica, "STOP");
    let rp = replica.port.to_string();
    let reply = call(master.port, &["FAILOVER", "TO", "127.0.0.1", &rp, "TIMEOUT", "10", "FORCE"]);
    assert_eq!(reply, Frame::ok());
    wait_for(5, "the master stuck in its FAILOVER", || {
        failover_state(master.port) == "failover-in-progress"
    });
    events.wait(10, "-failover-abort-stuck master mymaster");
    wait_for(5, "the FAILOVER ended", || failover_state(master.port) == "no-failover");
    assert_eq!(redis_role(master.port), "master");
    signal(&replica, "CONT");
}
