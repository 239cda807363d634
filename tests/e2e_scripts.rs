//! End to end: a notification script really runs. One rsentinel with
//! quorum 1 monitors a redis-server; SIGSTOP of the master makes it SDOWN,
//! and the script (a `/bin/sh` file that appends its arguments to a file)
//! records `+sdown master mymaster ...`.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::*;

#[test]
fn notification_script_runs_on_sdown() {
    let master = start_redis(&[]);
    let dir = tempdir();
    let out = file(&dir, "events.txt");
    let script = file(&dir, "notify.sh");
    std::fs::write(&script, format!("#!/bin/sh\necho \"$@\" >> '{}'\n", out.display()))
        .expect("write script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let body = format!(
        "sentinel monitor mymaster 127.0.0.1 {} 1\nsentinel down-after-milliseconds mymaster 1000\n\
         sentinel notification-script mymaster {}\n",
        master.port,
        script.display()
    );
    let _sentinel = start_sentinel(dir.path(), &body);
    let read = || std::fs::read_to_string(&out).unwrap_or_default();
    // The +monitor at start-up is a warning event too.
    wait_for(10, "the +monitor line", || read().contains("+monitor master mymaster"));
    signal(&master, "STOP");
    let sdown = format!("+sdown master mymaster 127.0.0.1 {}", master.port);
    let seen =
        std::panic::catch_unwind(|| wait_for(15, "the +sdown line", || read().contains(&sdown)));
    signal(&master, "CONT");
    assert!(seen.is_ok(), "script output: {:?}", read());
}
