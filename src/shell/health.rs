//! `/healthz`, `/readyz` and `/status.json`: what a probe or a person asks
//! of a sentinel, answered from the published [`View`].
//!
//! - **alive** (`/healthz`): the actor that owns the core answers a round
//!   trip within [`ALIVE_WITHIN`] (the same round trip as the systemd
//!   watchdog's: a stuck core fails it, a timer that still fires proves
//!   nothing), and the config file's directory takes a new file (a sentinel
//!   that cannot save a vote or an epoch must not go on voting). A liveness
//!   probe that fails restarts the process.
//! - **ready** ([`readiness`], `/readyz`): not in TILT, and for every
//!   monitored master, its run id is known (an INFO reply came: the master
//!   was reached at least once) and this sentinel plus the peers whose hello
//!   about that master is at most [`HELLO_FRESH`] old reach the master's
//!   quorum. A sentinel that is not ready could not take part in declaring
//!   that master down; a readiness probe takes it out of the client
//!   Service until it could.

use std::path::Path;

use serde_json::{Value, json};

use crate::core::{InstanceView, Millis, View};

use super::metrics::host_port;

/// How long `/healthz` waits for the actor's answer.
pub const ALIVE_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);

/// How recent a peer's hello must be for it to count as heard from: three
/// hello periods (a hello every 2 s), so one lost hello is no alarm.
pub const HELLO_FRESH: Millis = Millis(6000);

/// Whether the process is ready to serve, and if not, why (one reason per
/// line, a master's name first).
pub fn readiness(view: &View, now: Millis) -> Result<(), Vec<String>> {
    let mut reasons = Vec::new();
    if view.tilt_since.is_some() {
        reasons.push("in TILT".to_string());
    }
    for m in view.masters.iter() {
        let name = &m.instance.name;
        if m.instance.runid.is_none() {
            reasons.push(format!(
                "{name}: master {} not reached yet (no run id)",
                host_port(&m.instance.addr)
            ));
        }
        let heard = 1 + m
            .sentinels
            .iter()
            .filter(|s| s.last_hello.is_some_and(|t| now.0.saturating_sub(t.0) <= HELLO_FRESH.0))
            .count();
        if heard < m.quorum as usize {
            reasons.push(format!(
                "{name}: {heard} sentinel(s) heard from in the last {} s (this one included), quorum is {}",
                HELLO_FRESH.0 / 1000,
                m.quorum
            ));
        }
    }
    if reasons.is_empty() { Ok(()) } else { Err(reasons) }
}

/// Whether `dir` takes a new file: one is created and removed.
pub fn dir_writable(dir: &Path) -> Result<(), String> {
    let probe = dir.join(format!(".rsentinel-healthz-{}", std::process::id()));
    std::fs::File::create(&probe)
        .map_err(|e| format!("config directory {} is not writable: {e}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// `/status.json`: the sentinel and each master as this sentinel sees it.
pub fn status_json(view: &View, now: Millis) -> Value {
    let ago = |t: Millis| now.0.saturating_sub(t.0);
    let instance = |i: &InstanceView| {
        json!({
            "address": host_port(&i.addr),
            "runid": i.runid.as_ref().map(|r| r.as_str().to_owned()),
            "flags": i.flags,
            "last_ping_reply_ms_ago": ago(i.last_ping_reply),
            "ping_rtt_ms": i.ping_rtt.map(|t| t.0),
        })
    };
    let masters: Vec<Value> = view
        .masters
        .iter()
        .map(|m| {
            let mut master = instance(&m.instance);
            let extra = json!({
                "name": m.instance.name,
                "client_address": host_port(&m.client_addr),
                "config_epoch": m.config_epoch.0,
                "quorum": m.quorum,
                "failover_state": m.failover_state,
                "replicas": m.replicas.iter().map(|r| {
                    let mut v = instance(&r.instance);
                    v["repl_offset"] = json!(r.repl_offset);
                    v["master_link_up"] = json!(r.master_link_up);
                    v
                }).collect::<Vec<_>>(),
                "sentinels": m.sentinels.iter().map(|s| {
                    let mut v = instance(&s.instance);
                    v["last_hello_ms_ago"] = json!(s.last_hello.map(ago));
                    v
                }).collect::<Vec<_>>(),
            });
            if let (Value::Object(base), Value::Object(extra)) = (&mut master, extra) {
                base.extend(extra);
            }
            master
        })
        .collect();
    json!({
        "myid": view.myid.as_str(),
        "current_epoch": view.current_epoch.0,
        "tilt": view.tilt_since.is_some(),
        "ready": readiness(view, now).is_ok(),
        "masters": masters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{MasterView, SentinelView};
    use crate::ids::RunId;
    use std::sync::Arc;

    fn master(quorum: u32, runid: bool, hellos: &[u64]) -> View {
        let mut m = MasterView::default();
        m.instance.name = "m".into();
        m.instance.runid = runid.then(|| RunId::from("r".repeat(40)));
        m.quorum = quorum;
        for &at in hellos {
            m.sentinels.push(SentinelView { last_hello: Some(Millis(at)), ..Default::default() });
        }
        let mut view = View::default();
        view.masters.insert("m".into(), Arc::new(m));
        view
    }

    #[test]
    fn ready_needs_the_run_id_a_quorum_heard_from_and_no_tilt() {
        let now = Millis(20_000);
        assert_eq!(readiness(&View::default(), now), Ok(()));
        assert_eq!(readiness(&master(1, true, &[]), now), Ok(()));
        let why = readiness(&master(1, false, &[]), now).unwrap_err();
        assert!(why[0].contains("no run id"), "{why:?}");
        // Quorum 2: one fresh peer is enough, a stale one is not.
        assert_eq!(readiness(&master(2, true, &[15_000]), now), Ok(()));
        let why = readiness(&master(2, true, &[13_000]), now).unwrap_err();
        assert!(
            why[0].contains("1 sentinel(s) heard from") && why[0].contains("quorum is 2"),
            "{why:?}"
        );
        let mut tilted = master(1, true, &[]);
        tilted.tilt_since = Some(Millis(1));
        assert_eq!(readiness(&tilted, now), Err(vec!["in TILT".to_string()]));
    }

    #[test]
    fn status_names_each_master_with_its_peers() {
        let v = status_json(&master(2, true, &[19_000]), Millis(20_000));
        assert_eq!(v["ready"], json!(true));
        assert_eq!(v["masters"][0]["name"], json!("m"));
        assert_eq!(v["masters"][0]["quorum"], json!(2));
        assert_eq!(v["masters"][0]["sentinels"][0]["last_hello_ms_ago"], json!(1000));
    }

    #[test]
    fn a_directory_that_takes_no_file_is_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(dir_writable(dir.path()), Ok(()));
        assert!(dir_writable(&dir.path().join("gone")).unwrap_err().contains("not writable"));
    }
}
