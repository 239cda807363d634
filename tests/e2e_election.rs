//! DESIGN 7 with real processes: three rsentinels started together (their
//! PINGs and hellos in phase, as `./lab up` starts them), a master and a
//! replica, `DEBUG SLEEP` on the master. Every trial must switch in the
//! first election round: with failover-timeout 60 s, a lost round would
//! delay the switch by 2 minutes, far beyond the generous bound here. This
//! is a liveness check, not a timing test.
//!
//! `E2E_ELECTION_TRIALS=n` changes the number of trials (default 20).

mod common;

use std::time::{Duration, Instant};

use common::*;

const DOWN_AFTER_MS: u64 = 1000;
/// From the fault to every sentinel naming the replica: down-after plus
/// room for a loaded CI machine, well below a retry's 120 s.
const BOUND: Duration = Duration::from_secs(15);

fn master_addr(port: u16) -> Option<String> {
    match try_call(port, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"])? {
        rsentinel::resp::Frame::Array(a) if a.len() == 2 => {
            Some(format!("{}:{}", a[0].as_str()?, a[1].as_str()?))
        }
        _ => None,
    }
}

/// One trial; the number of epochs the fleet went through, or why it failed.
fn trial(n: usize) -> Result<u64, String> {
    let master = start_redis(&[]);
    let replica = start_redis(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    wait_for(10, "replica in sync", || {
        format!("{:?}", try_call(replica.port, &["INFO", "replication"]))
            .contains("master_link_status:up")
    });
    let dirs: Vec<_> = (0..3).map(|_| tempdir()).collect();
    let paths: Vec<&std::path::Path> = dirs.iter().map(|d| d.path()).collect();
    let body = format!(
        "sentinel monitor mymaster 127.0.0.1 {} 2\n\
         sentinel down-after-milliseconds mymaster {DOWN_AFTER_MS}\n\
         sentinel failover-timeout mymaster 60000\n\
         sentinel parallel-syncs mymaster 1\n",
        master.port
    );
    let sentinels = start_sentinels_together(&paths, &body);
    let ports: Vec<u16> = sentinels.iter().map(|s| s.port).collect();
    wait_discovery(&ports, 2, 1);
    let mut events: Vec<Events> = ports.iter().map(|&p| Events::subscribe(p)).collect();
    let want = format!("127.0.0.1:{}", replica.port);
    let mut sleeper = Raw::connect(master.port);
    sleeper.send(b"DEBUG SLEEP 10\r\n");
    let fault = Instant::now();
    let mut pending: Vec<u16> = ports.clone();
    while !pending.is_empty() {
        if fault.elapsed() > BOUND {
            let seen: Vec<String> = events
                .iter_mut()
                .map(|e| {
                    e.try_wait("");
                    e.seen.join("\n    ")
                })
                .collect();
            return Err(format!(
                "trial {n}: sentinels {pending:?} did not name {want} within {BOUND:?}; events:\n    {}",
                seen.join("\n  --\n    ")
            ));
        }
        pending.retain(|&p| master_addr(p).as_deref() != Some(want.as_str()));
        std::thread::sleep(Duration::from_millis(50));
    }
    let elapsed = fault.elapsed();
    let mut epochs = std::collections::BTreeSet::new();
    for e in &mut events {
        e.try_wait("");
        for line in &e.seen {
            if let Some(epoch) = line.strip_prefix("+new-epoch ") {
                epochs.insert(epoch.to_owned());
            }
        }
    }
    eprintln!("trial {n}: switched everywhere in {elapsed:?}, epochs used: {epochs:?}");
    for s in sentinels {
        drop(s);
    }
    Ok(epochs.len() as u64)
}

#[test]
fn every_lab_failover_wins_its_first_round() {
    let trials: usize =
        std::env::var("E2E_ELECTION_TRIALS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let mut failures = Vec::new();
    let mut more_epochs = 0;
    for n in 1..=trials {
        match trial(n) {
            Ok(epochs) => more_epochs += usize::from(epochs > 1),
            Err(e) => failures.push(e),
        }
    }
    eprintln!("{trials} trials, {} failed, {more_epochs} used more than one epoch", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
