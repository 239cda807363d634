//! Exact texts of every event. Lines marked "captured" were copied from the
//! log and pub/sub of a redis-sentinel 7.0.15 watching a master on port 27311
//! with a replica on 27312, and a second sentinel on 27314.

use super::*;
use EventLevel::{Debug, Notice, Verbose, Warning};

fn addr(port: u16) -> Addr {
    Addr::new("127.0.0.1", port)
}

fn master() -> InstanceRef {
    InstanceRef::master("mymaster", addr(27311))
}

fn replica() -> InstanceRef {
    InstanceRef::replica(addr(27312), "mymaster", addr(27311))
}

fn peer() -> InstanceRef {
    let id = RunId::from(String::from("dd4a3c65cf770865927dc26d755f357e10326738"));
    InstanceRef::sentinel(&id, addr(27314), "mymaster", addr(27311))
}

const M: &str = "master mymaster 127.0.0.1 27311";
const R: &str = "slave 127.0.0.1:27312 127.0.0.1 27312 @ mymaster 127.0.0.1 27311";
const S: &str =
    "sentinel dd4a3c65cf770865927dc26d755f357e10326738 127.0.0.1 27314 @ mymaster 127.0.0.1 27311";

/// Every variant: the event, its level, and its full log text.
fn table() -> Vec<(Event, EventLevel, String)> {
    use Event::*;
    let leader = RunId::from(String::from("01f7e11e51c241e18ddf33f7a6a16d0bbc4b6c61"));
    let set = |option: &str, value: &str| Set {
        master: master(),
        option: option.into(),
        value: value.into(),
    };
    vec![
        // captured
        (Monitor { master: master(), quorum: 1 }, Warning, format!("+monitor {M} quorum 1")),
        // captured
        (Unmonitor(master()), Warning, format!("-monitor {M}")),
        // captured
        (ResetMaster(master()), Warning, format!("+reset-master {M}")),
        // captured (all four)
        (set("quorum", "2"), Warning, format!("+set {M} quorum 2")),
        (set("auth-pass", "foo"), Warning, format!("+set {M} auth-pass ******")),
        (set("AUTH-PASS", "foo"), Warning, format!("+set {M} AUTH-PASS ******")),
        (
            set("rename-command", "CONFIG CONFIG"),
            Warning,
            format!("+set {M} rename-command CONFIG CONFIG"),
        ),
        // captured
        (NewReplica(replica()), Notice, format!("+slave {R}")),
        // captured
        (NewSentinel(peer()), Notice, format!("+sentinel {S}")),
        (
            SentinelAddressSwitch { master: master(), addr: addr(26000), runid: leader.clone() },
            Notice,
            format!("+sentinel-address-switch {M} ip 127.0.0.1 port 26000 for {leader}"),
        ),
        (
            SentinelAddressUpdate { sentinel: peer(), others: 2 },
            Notice,
            format!("+sentinel-address-update {S} 2 additional matching instances"),
        ),
        (SentinelInvalidAddr(peer()), Notice, format!("+sentinel-invalid-addr {S}")),
        (Reboot(replica()), Notice, format!("+reboot {R}")),
        // captured (both)
        (
            RoleChange { instance: replica(), reported: Role::Replica, matches_config: true },
            Verbose,
            format!("+role-change {R} new reported role is slave"),
        ),
        (
            RoleChange { instance: master(), reported: Role::Replica, matches_config: false },
            Verbose,
            format!("-role-change {M} new reported role is slave"),
        ),
        (
            RoleChange { instance: replica(), reported: Role::Master, matches_config: false },
            Verbose,
            format!("-role-change {R} new reported role is master"),
        ),
        // captured (all four)
        (SdownOn(replica()), Warning, format!("+sdown {R}")),
        (SdownOff(replica()), Warning, format!("-sdown {R}")),
        (SdownOn(master()), Warning, format!("+sdown {M}")),
        (SdownOn(peer()), Warning, format!("+sdown {S}")),
        (
            OdownOn { master: master(), votes: 2, quorum: 2 },
            Warning,
            format!("+odown {M} #quorum 2/2"),
        ),
        (OdownOff(master()), Warning, format!("-odown {M}")),
        // captured
        (NewEpoch { master: master(), epoch: Epoch(1) }, Warning, "+new-epoch 1".into()),
        // captured
        (
            VoteForLeader { master: master(), leader: leader.clone(), epoch: Epoch(1) },
            Warning,
            format!("+vote-for-leader {leader} 1"),
        ),
        // captured, from here to +switch-master
        (TryFailover(master()), Warning, format!("+try-failover {M}")),
        (ElectedLeader(master()), Warning, format!("+elected-leader {M}")),
        (
            FailoverStateSelectReplica(master()),
            Warning,
            format!("+failover-state-select-slave {M}"),
        ),
        (SelectedReplica(replica()), Warning, format!("+selected-slave {R}")),
        (
            FailoverStateSendReplicaofNoOne(replica()),
            Notice,
            format!("+failover-state-send-slaveof-noone {R}"),
        ),
        (
            FailoverStateWaitPromotion(replica()),
            Notice,
            format!("+failover-state-wait-promotion {R}"),
        ),
        (PromotedReplica(replica()), Warning, format!("+promoted-slave {R}")),
        (
            FailoverStateReconfReplicas(master()),
            Warning,
            format!("+failover-state-reconf-slaves {M}"),
        ),
        (ReplicaReconfSent(replica()), Notice, format!("+slave-reconf-sent {R}")),
        (ReplicaReconfInProgress(replica()), Notice, format!("+slave-reconf-inprog {R}")),
        (ReplicaReconfDone(replica()), Notice, format!("+slave-reconf-done {R}")),
        (ReplicaReconfSentTimeout(replica()), Notice, format!("-slave-reconf-sent-timeout {R}")),
        (ReplicaReconfSentBestEffort(replica()), Notice, format!("+slave-reconf-sent-be {R}")),
        (FailoverEndForTimeout(master()), Warning, format!("+failover-end-for-timeout {M}")),
        (FailoverEnd(master()), Warning, format!("+failover-end {M}")),
        (
            SwitchMaster { master: master(), new_addr: addr(27312) },
            Warning,
            "+switch-master mymaster 127.0.0.1 27311 127.0.0.1 27312".into(),
        ),
        // captured
        (ConfigUpdateFrom(peer()), Warning, format!("+config-update-from {S}")),
        (FailoverAbortNotElected(master()), Warning, format!("-failover-abort-not-elected {M}")),
        (
            FailoverAbortNoGoodReplica(master()),
            Warning,
            format!("-failover-abort-no-good-slave {M}"),
        ),
        (
            FailoverAbortReplicaTimeout(master()),
            Warning,
            format!("-failover-abort-slave-timeout {M}"),
        ),
        // rsentinel only (SENTINEL FAILOVER <name> COORDINATED)
        (FailoverStateCoordinated(replica()), Notice, format!("+failover-state-coordinated {R}")),
        (
            FailoverAbortCoordinated {
                master: master(),
                error: "ERR FAILOVER requires connected replicas.".into(),
            },
            Warning,
            format!("-failover-abort-coordinated {M} ERR FAILOVER requires connected replicas."),
        ),
        (
            FailoverAbortStuck { master: master(), state: "failover-in-progress".into() },
            Warning,
            format!("-failover-abort-stuck {M} failover-in-progress"),
        ),
        // captured
        (ConvertToReplica(replica()), Notice, format!("+convert-to-slave {R}")),
        (FixReplicaConfig(replica()), Notice, format!("+fix-slave-config {R}")),
        // captured
        (TiltOn, Warning, "+tilt #tilt mode entered".into()),
        (TiltOff, Warning, "-tilt #tilt mode exited".into()),
        (
            ScriptError { path: "/bin/notify.sh".into(), signal: 0, exit_code: 2 },
            Warning,
            "-script-error /bin/notify.sh 0 2".into(),
        ),
        (
            ScriptError { path: "/bin/notify.sh".into(), signal: 99, exit_code: 0 },
            Warning,
            "-script-error /bin/notify.sh 99 0".into(),
        ),
        (
            ScriptTimeout { path: "/bin/notify.sh".into(), pid: 4242 },
            Warning,
            "-script-timeout /bin/notify.sh 4242".into(),
        ),
        (ScriptChild { pid: 4242 }, Debug, "+script-child 4242".into()),
        (
            ScriptChildExit { pid: 4242, exit_code: 1, signal: 9 },
            Debug,
            "-script-child 4242 1 9".into(),
        ),
        (
            CmdLinkReconnection { instance: replica(), error: "Connection refused".into() },
            Debug,
            format!("-cmd-link-reconnection {R} #Connection refused"),
        ),
        (
            PubsubLinkReconnection { instance: master(), error: "Connection reset by peer".into() },
            Debug,
            format!("-pubsub-link-reconnection {M} #Connection reset by peer"),
        ),
    ]
}

#[test]
fn every_event_text() {
    for (event, level, line) in table() {
        assert_eq!(event.to_string(), line, "{event:?}");
        assert_eq!(event.level(), level, "{line}");
        let (channel, message) = line.split_once(' ').expect("every line has a message");
        assert_eq!(event.channel(), channel);
        assert_eq!(event.message(), message);
        assert_eq!(event.is_published(), level != Debug, "{line}");
    }
}

#[test]
fn every_channel_is_covered_once() {
    let mut channels: Vec<&str> = table().iter().map(|(e, ..)| e.channel()).collect();
    channels.sort_unstable();
    channels.dedup();
    // 48 distinct types: spec §5's table, +/- pairs counted twice; plus
    // rsentinel's three coordinated-failover events.
    assert_eq!(channels.len(), 51, "{channels:?}");
}

#[test]
fn instance_and_master_name() {
    assert_eq!(master().master_name(), "mymaster");
    assert_eq!(replica().master_name(), "mymaster");
    assert_eq!(peer().master_name(), "mymaster");
    for (event, ..) in table() {
        let want = !matches!(
            event,
            Event::TiltOn
                | Event::TiltOff
                | Event::ScriptError { .. }
                | Event::ScriptTimeout { .. }
                | Event::ScriptChild { .. }
                | Event::ScriptChildExit { .. }
        );
        assert_eq!(event.instance().is_some(), want, "{event}");
        if let Some(i) = event.instance() {
            assert_eq!(i.master_name(), "mymaster", "{event}");
        }
    }
}

#[test]
fn ipv6_prefix() {
    let r = InstanceRef::replica(Addr::new("::1", 6380), "m", Addr::new("::1", 6379));
    assert_eq!(r.name, "[::1]:6380");
    assert_eq!(Event::SdownOn(r).to_string(), "+sdown slave [::1]:6380 ::1 6380 @ m ::1 6379");
}

#[test]
fn level_order_and_markers() {
    assert!(Debug < Verbose && Verbose < Notice && Notice < Warning);
    let markers: String =
        [Debug, Verbose, Notice, Warning].map(EventLevel::log_marker).iter().collect();
    assert_eq!(markers, ".-*#");
}
