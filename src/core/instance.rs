//! The run-time state of the instances the core watches: masters, their
//! replicas, and peer sentinels.
//!
//! What the configuration says (address, quorum, down-after...) stays in
//! [`MasterConfig`]; these structs hold only what is learned at run time:
//! links, INFO facts, flags and their timestamps. Replicas are keyed by
//! address and peers by run id in `BTreeMap`s, so every walk over them is
//! in a stable order (house rule 6).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::event::InstanceRef;
use super::failover::Failover;
use super::fence::Fence;
use super::ids::{Addr, Epoch, RunId};
use super::info::Role;
use super::link::{Cmd, Link, Outbox, command};
use super::output::LinkKind;
use super::timer::Millis;
use crate::config::MasterConfig;

/// What masters and replicas have in common: two links and INFO facts.
#[derive(Debug, Clone)]
pub(crate) struct Monitor {
    /// The command link (PING, INFO, PUBLISH).
    pub cmd: Link,
    /// The pub/sub link (subscribed to the hello channel).
    pub pubsub: Link,
    /// `run_id` from INFO.
    pub runid: Option<RunId>,
    /// The role the instance reports (initially the configured one).
    pub role_reported: Role,
    /// When `role_reported` last changed.
    pub role_reported_time: Millis,
    /// The last INFO text.
    pub info: Option<Arc<str>>,
    /// `redis_version` from the last INFO that had one (a coordinated
    /// failover needs 6.2 or later on the master).
    pub redis_version: Option<String>,
    /// A `FAILOVER` runs on the instance (INFO's `master_failover_state`
    /// is not `no-failover`): its state, and since when it was seen. Its
    /// writes are paused: no hello is published there.
    pub handover: Option<(String, Millis)>,
    /// `FAILOVER TO` was sent and no INFO since said the hand-over ended:
    /// its writes may be paused (no hello).
    pub handover_sent: bool,
    /// `master_replid` and `master_replid2` from the last INFO (the
    /// lineage `reconcile.rs` checks before converting a master at once).
    pub replid: (Option<String>, Option<String>),
    /// Until when our `CLIENT PAUSE ... WRITE` may hold its writes
    /// (`fence.rs`): no hello is published there meanwhile.
    pub fence_until: Option<Millis>,
    /// When the last INFO reply arrived.
    pub info_refresh: Option<Millis>,
    /// When the last INFO was sent.
    pub info_sent: Option<Millis>,
    /// When the last hello was sent on the command link.
    pub hello_sent: Option<Millis>,
    /// Since when the instance is SDOWN.
    pub sdown_since: Option<Millis>,
    /// A `SCRIPT KILL` was sent during this SDOWN.
    pub script_kill_sent: bool,
    /// When the instance last entered SDOWN (or, for a master, ODOWN); kept
    /// after it recovers (redis-sentinel's `s_down_since_time`), for the
    /// "not down for a while" rules of `reconcile.rs`.
    pub last_down: Option<Millis>,
}

impl Monitor {
    /// True while the instance's writes may be paused by a `FAILOVER`:
    /// a hello published there would block until it ends.
    pub fn writes_paused(&self) -> bool {
        self.handover.is_some() || self.handover_sent
    }

    /// For a replica: true when it reported `role:master`, or has not
    /// answered INFO yet. It may be an old master cut off from us and
    /// fenced by its own sentinel (`fence.rs`), its writes paused. A hello
    /// published there would wait until that pause runs out, and hold every
    /// command queued behind it on the link: the `SLAVEOF` that converts it
    /// (`reconcile.rs`) waited up to 2 s in `bench/partition.py`.
    pub fn maybe_fenced(&self) -> bool {
        self.info_refresh.is_none() || self.role_reported == Role::Master
    }

    /// Sends INFO on the command link now, unless it cannot take one more
    /// command; true if sent.
    pub fn ask_info(
        &mut self,
        out: &mut Outbox,
        renames: &[(String, String)],
        now: Millis,
    ) -> bool {
        if !self.cmd.can_queue(1) {
            return false;
        }
        self.cmd.send(out, Cmd::Info, command(renames, "INFO", &[]));
        self.info_sent = Some(now);
        true
    }

    /// A new instance with the given configured role.
    pub fn new(role: Role, now: Millis) -> Monitor {
        Monitor {
            cmd: Link::new(LinkKind::Command, now),
            pubsub: Link::new(LinkKind::PubSub, now),
            runid: None,
            role_reported: role,
            role_reported_time: now,
            info: None,
            redis_version: None,
            handover: None,
            handover_sent: false,
            replid: (None, None),
            fence_until: None,
            info_refresh: None,
            info_sent: None,
            hello_sent: None,
            sdown_since: None,
            script_kill_sent: false,
            last_down: None,
        }
    }

    /// Whether either link is down (the `disconnected` flag).
    pub fn is_disconnected(&self) -> bool {
        !self.cmd.is_up() || !self.pubsub.is_up()
    }
}

/// A monitored master.
#[derive(Debug, Clone)]
pub(crate) struct Master {
    /// Links and INFO facts.
    pub mon: Monitor,
    /// Since when the master is ODOWN.
    pub odown_since: Option<Millis>,
    /// Since when the master rebooted (`+reboot` with a
    /// master-reboot-down-after-period set), until a `PONG` clears it.
    pub reboot_since: Option<Millis>,
    /// The sentinel this one voted for in `leader-epoch`.
    pub leader: Option<RunId>,
    /// When we last gave our vote for this master to another sentinel
    /// (`election.rs`, `keeps_vote`).
    pub voted_for_other_at: Option<Millis>,
    /// When our last failover of this master started, or when we voted for
    /// another sentinel (blocks our own failover for 2 × failover-timeout).
    pub failover_start_time: Option<Millis>,
    /// After an election that nobody could win (a certain split vote):
    /// when we may try again, instead of 2 × failover-timeout after
    /// `failover_start_time` (`candidate.rs`, `split_rank`).
    pub fast_retry_at: Option<Millis>,
    /// Fast retries since the master was last not ODOWN (bounded by
    /// `MAX_FAST_RETRIES`).
    pub fast_retries: u32,
    /// Our failover of this master, while one runs (`failover.rs`).
    pub failover: Option<Failover>,
    /// The fence on its writes, while no majority answers (`fence.rs`).
    pub fence: Option<Fence>,
    /// Known replicas.
    pub replicas: BTreeMap<Addr, Replica>,
    /// Known peer sentinels. Boxed: a map node has room for 11 entries and
    /// most masters know two peers; inline, each master's map took 2.4 KB
    /// (a fleet of three at 1000 masters, heaptrack).
    pub sentinels: BTreeMap<RunId, Box<Peer>>,
}

impl Master {
    /// A master with the replicas and peers its configuration remembers.
    pub fn new(config: &MasterConfig, now: Millis) -> Master {
        let replicas = config
            .known_replicas
            .iter()
            .map(|a| (a.clone(), Replica::new(a.clone(), now)))
            .collect();
        let sentinels = config
            .known_sentinels
            .iter()
            .map(|s| (s.runid.clone(), Box::new(Peer::new(s.addr.clone()))))
            .collect();
        Master {
            mon: Monitor::new(Role::Master, now),
            odown_since: None,
            reboot_since: None,
            leader: None,
            voted_for_other_at: None,
            failover_start_time: None,
            fast_retry_at: None,
            fast_retries: 0,
            failover: None,
            fence: None,
            replicas,
            sentinels,
        }
    }
}

/// A replica of a monitored master.
#[derive(Debug, Clone)]
pub(crate) struct Replica {
    /// Its address (the map key too).
    pub addr: Addr,
    /// Links and INFO facts.
    pub mon: Monitor,
    /// `master_link_down_since_seconds` × 1000, 0 when absent.
    pub master_link_down_ms: u64,
    /// `master_link_status:up`.
    pub master_link_up: bool,
    /// `master_host` as reported.
    pub master_host: Option<String>,
    /// `master_port` as reported.
    pub master_port: Option<u16>,
    /// When the reported master address last changed.
    pub conf_change_time: Millis,
    /// `slave_priority` (100 by default).
    pub priority: u32,
    /// `slave_repl_offset`.
    pub repl_offset: u64,
    /// `replica_announced` (true unless INFO says 0).
    pub announced: bool,
    /// When we last sent it `SLAVEOF` to convert or fix it
    /// (`reconcile.rs`), to resend at most once per INFO period.
    pub replicaof_sent: Option<Millis>,
    /// When we last converted it at once, without the 8 s wait
    /// (`reconcile.rs`: at most once per failover-timeout).
    pub converted_at_once: Option<Millis>,
}

impl Replica {
    /// A replica at `addr`, nothing known yet.
    pub fn new(addr: Addr, now: Millis) -> Replica {
        Replica {
            addr,
            mon: Monitor::new(Role::Replica, now),
            master_link_down_ms: 0,
            master_link_up: false,
            master_host: None,
            master_port: None,
            conf_change_time: now,
            priority: 100,
            repl_offset: 0,
            announced: true,
            replicaof_sent: None,
            converted_at_once: None,
        }
    }
}

/// A peer sentinel as seen under one master. Its link is shared by all
/// masters and lives in [`PeerLink`].
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    /// Its announced address.
    pub addr: Addr,
    /// Since when it is SDOWN (for this master).
    pub sdown_since: Option<Millis>,
    /// It answered that it sees the master down.
    pub master_down: bool,
    /// When its last is-master-down-by-addr reply arrived.
    pub last_reply: Option<Millis>,
    /// When we last asked it.
    pub ask_sent: Option<Millis>,
    /// How long its last reply took from our latest question, while that
    /// report is fresh: how slow it is now (rule 10's wait, `candidate.rs`).
    pub ask_rtt: Option<Millis>,
    /// The leader it voted for, and the epoch.
    pub leader: Option<(RunId, Epoch)>,
    /// When its last hello for this master arrived.
    pub last_hello: Option<Millis>,
    /// The current epoch that hello carried.
    pub hello_epoch: Epoch,
    /// When we last sent it a hello for this master.
    pub hello_sent: Option<Millis>,
    /// When we last asked it to confirm a configuration its hello claimed
    /// (`guard.rs`).
    pub confirm_asked: Option<Millis>,
    /// The config epoch its answer gave, until the address follows.
    pub confirm_epoch: Option<Epoch>,
}

impl Peer {
    /// A peer at `addr`.
    pub fn new(addr: Addr) -> Peer {
        Peer {
            addr,
            sdown_since: None,
            master_down: false,
            last_reply: None,
            ask_sent: None,
            ask_rtt: None,
            leader: None,
            last_hello: None,
            hello_epoch: Epoch(0),
            hello_sent: None,
            confirm_asked: None,
            confirm_epoch: None,
        }
    }

    /// Its hello for this master, carrying current epoch `epoch`, arrived.
    pub fn heard(&mut self, now: Millis, epoch: Epoch) {
        self.last_hello = Some(now);
        self.hello_epoch = epoch;
    }
}

/// The one command link to a peer sentinel, shared by every master that
/// knows the peer's run id (redis-sentinel's connection sharing).
#[derive(Debug, Clone)]
pub(crate) struct PeerLink {
    /// Where the peer is (the latest address announced).
    pub addr: Addr,
    /// The link.
    pub link: Link,
    /// The masters that know this peer, by name (their number is the
    /// link's refcount): the ones a change of the link concerns.
    pub masters: Vec<String>,
    /// The unanswered PING those masters last saw (`act_ping` at their
    /// last visit for the link): they armed the peer's SDOWN from it, and
    /// are visited again when it is answered, even if another PING went
    /// out in the same step (`step.rs`, [`PeerLink::pings_due`]).
    pub pings_seen: Option<Millis>,
    /// Which link this is, among all ever made (`step.rs` compares a
    /// link's state before and after an input by it).
    pub serial: u64,
}

impl PeerLink {
    /// How many masters share the link.
    pub fn users(&self) -> usize {
        self.masters.len()
    }

    /// Whether the masters that know this peer must see its PING times at
    /// `now`. A PING going out or being answered at once concerns none of
    /// them: an answer only moves the peer's SDOWN later, so a deadline
    /// they armed earlier wakes them early at worst. They must see a PING
    /// that is still unanswered at [`PeerLink::quiet_at`], before any of
    /// them could judge the peer SDOWN (with no PING pending they armed
    /// nothing), and then its answer, which may clear that SDOWN.
    pub fn pings_due(&self, now: Millis, patience: Millis) -> bool {
        match (self.link.act_ping, self.pings_seen) {
            (Some(asked), None) => now >= asked + patience,
            (asked, seen) => asked != seen,
        }
    }

    /// When the masters must see the link's unanswered PING
    /// ([`PeerLink::pings_due`]); `None` if they need not.
    pub fn quiet_at(&self, patience: Millis) -> Option<Millis> {
        let asked = self.link.act_ping.filter(|_| self.pings_seen.is_none())?;
        Some(asked + patience)
    }
}

/// How long a peer's PING may stay unanswered before the masters that know
/// it must see it ([`PeerLink::pings_due`]): no rule of this master reads
/// the silence sooner. Its SDOWN gives a pending PING at least a third of
/// down-after ([`super::link::Link::unavailable_at`]), and its fence counts
/// the peer silent from the PING on (`fence.rs`).
pub(crate) fn peer_patience(mc: &MasterConfig) -> Millis {
    let sdown = mc.down_after_ms / 3;
    Millis(if mc.fence_ms == 0 { sdown } else { sdown.min(mc.fence_ms) })
}

/// The `%@` reference of a master.
pub(crate) fn master_ref(config: &MasterConfig) -> InstanceRef {
    InstanceRef::master(config.name.clone(), config.addr.clone())
}

/// The `%@` reference of a replica of `config`.
pub(crate) fn replica_ref(config: &MasterConfig, addr: &Addr) -> InstanceRef {
    InstanceRef::replica(addr.clone(), config.name.clone(), config.addr.clone())
}

/// The `%@` reference of a peer of `config`.
pub(crate) fn peer_ref(config: &MasterConfig, runid: &RunId, addr: &Addr) -> InstanceRef {
    InstanceRef::sentinel(runid, addr.clone(), config.name.clone(), config.addr.clone())
}
