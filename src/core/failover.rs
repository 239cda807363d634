//! FAILOVER: electing a leader and replacing a master, as one state machine
//! (spec §7.3 candidate side, §7.4).
//!
//! A failover is a [`Failover`] held by its [`Master`] while it runs. Its
//! [`FailoverState`] variants carry their own data and are redis-sentinel's
//! states, with the names `SENTINEL MASTER` shows:
//!
//! ```text
//! wait_start ─► select_slave ─► send_slaveof_noone ─► wait_promotion ─► reconf_slaves ─► update_config
//!     │               │                │                    │
//!     └ not elected   └ no good slave  └──── slave timeout ─┘   (aborts: the master stays)
//! ```
//!
//! Unlike redis-sentinel, which moves one state per 100 ms tick and polls
//! INFO to see progress, [`MasterCtx::run_failover`] runs after every
//! input and moves through as many states as their conditions allow: the
//! deciding vote reply elects at once, the promotion transaction is sent in
//! the same step, its `EXEC` reply triggers an INFO ([`MasterCtx::on_exec_reply`])
//! whose `role:master` confirms the promotion, and hellos with the new
//! address go out right then. Deadlines ([`MasterCtx::failover_deadlines`], from the same times) only
//! serve the timeouts and the vote desync.
//!
//! Election (`wait_start`, in `candidate.rs`): a master ODOWN for us, with
//! no failover running and none started (or voted away) in the last 2 ×
//! failover-timeout, gets a new epoch (persisted before `+new-epoch` and
//! `+try-failover`), or the current one when this master had no election
//! and no configuration in it (`failover_epoch`). After a random delay
//! below `VOTE_REQUEST_DESYNC` we vote for ourselves and ask every peer for
//! its vote at once; each reply is counted as it arrives (`is_elected`). A
//! candidate that receives another's request during its delay grants it
//! and steps down; so does one that learns a newer epoch; a certain split
//! is retried at once, staggered by rank. The rules, and how they differ
//! from redis-sentinel's, are in `election.rs`.
//!
//! After the switch ([`MasterCtx::switch_master`]) the master entry starts
//! over at the promoted address; the old master, once back, is converted by
//! `reconcile.rs`.

use std::collections::BTreeMap;

use super::command::SIMFAILURE_CRASH_AFTER_PROMOTION;
use super::coordinated::Coordinated;
use super::ctx::{MasterCtx, persisted};
use super::event::Event;
use super::ids::{Addr, Epoch};
use super::info::Role;
use super::input::RequestId;
use super::instance::{Master, master_ref, replica_ref};
use super::link::{Cmd, Link, Outbox, command};
use super::output::Output;
use super::select::{has_candidate, select_replica};
use super::sentinel::Sentinel;
use super::timer::{Earliest, Millis, Periods, Timer, reached};
use crate::config::{Config, MasterConfig};
use crate::errors::NO_SUCH_MASTER;
use crate::resp::Frame;

/// The longest `select_slave` waits for fresh replica INFO: the fast
/// INFO period of a troubled master's replicas.
const SELECT_INFO_WAIT: Millis = Millis(1000);

/// Where one replica is in its reconfiguration towards the promoted one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reconf {
    /// `SLAVEOF <promoted>` sent at this time (`reconf_sent`).
    Sent(Millis),
    /// It reports the promoted replica as its master (`reconf_inprog`).
    InProgress,
    /// Its link to the promoted replica is up, or it timed out
    /// (`reconf_done`).
    Done,
}

/// The states of a failover, each with its own data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FailoverState {
    /// Election: vote and ask at `ask_at`, then count the replies.
    WaitStart {
        /// When we vote for ourselves and ask the peers (after the desync).
        ask_at: Millis,
        /// Whether that was done.
        asked: bool,
    },
    /// Elected: pick the replica to promote.
    SelectReplica,
    /// Waiting for the chosen replica's command link to send the promotion.
    SendReplicaofNoOne {
        /// The chosen replica.
        promoted: Addr,
    },
    /// Promotion sent; waiting for its INFO to say `role:master`.
    WaitPromotion {
        /// The chosen replica.
        promoted: Addr,
    },
    /// Promoted: pointing the other replicas at it, `parallel-syncs` at once.
    ReconfReplicas {
        /// The promoted replica, now the master clients are given.
        promoted: Addr,
        /// Replicas sent `SLAVEOF` so far, by address.
        replicas: BTreeMap<Addr, Reconf>,
    },
    /// Done: switch the master entry to the promoted address.
    UpdateConfig {
        /// The promoted replica.
        promoted: Addr,
    },
}

/// A failover of one master, led by this sentinel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failover {
    /// The epoch of the election, and the new config epoch once promoted.
    pub epoch: Epoch,
    /// Started by `SENTINEL FAILOVER`: no ODOWN, no election.
    pub forced: bool,
    /// When it started.
    pub started: Millis,
    /// When the current state was entered.
    pub state_since: Millis,
    /// Where it is.
    pub state: FailoverState,
    /// `SENTINEL FAILOVER <name> COORDINATED`: promoted by `FAILOVER TO`
    /// on the master (`coordinated.rs`).
    pub coordinated: Option<Coordinated>,
}

impl Failover {
    /// The state's name, as `SENTINEL MASTER` shows it.
    pub fn state_name(&self) -> &'static str {
        match self.state {
            FailoverState::WaitStart { .. } => "wait_start",
            FailoverState::SelectReplica => "select_slave",
            FailoverState::SendReplicaofNoOne { .. } => "send_slaveof_noone",
            FailoverState::WaitPromotion { .. } => "wait_promotion",
            FailoverState::ReconfReplicas { .. } => "reconf_slaves",
            FailoverState::UpdateConfig { .. } => "update_config",
        }
    }

    /// The replica chosen for promotion (the `promoted` flag).
    pub fn promoted(&self) -> Option<&Addr> {
        match &self.state {
            FailoverState::WaitStart { .. } | FailoverState::SelectReplica => None,
            FailoverState::SendReplicaofNoOne { promoted }
            | FailoverState::WaitPromotion { promoted }
            | FailoverState::ReconfReplicas { promoted, .. }
            | FailoverState::UpdateConfig { promoted } => Some(promoted),
        }
    }

    /// The address clients and hellos are given: the promoted replica's
    /// once its promotion is confirmed.
    pub fn client_addr(&self) -> Option<&Addr> {
        match &self.state {
            FailoverState::ReconfReplicas { promoted, .. }
            | FailoverState::UpdateConfig { promoted } => Some(promoted),
            _ => None,
        }
    }

    /// Whether the election is still on (`wait_start`): false once won.
    pub fn electing(&self) -> bool {
        matches!(self.state, FailoverState::WaitStart { .. })
    }

    /// Whether our questions to peers carry our run id (we have voted for
    /// ourselves and asked).
    pub fn asks_votes(&self) -> bool {
        !matches!(self.state, FailoverState::WaitStart { asked: false, .. })
    }

    /// Where replica `addr` is in its reconfiguration.
    pub fn reconf(&self, addr: &Addr) -> Option<Reconf> {
        match &self.state {
            FailoverState::ReconfReplicas { replicas, .. } => replicas.get(addr).copied(),
            _ => None,
        }
    }
}

impl Master {
    /// The address `GET-MASTER-ADDR-BY-NAME` and hellos give.
    pub fn client_addr(&self, config: &MasterConfig) -> Addr {
        self.failover.as_ref().and_then(Failover::client_addr).unwrap_or(&config.addr).clone()
    }
}

/// Sends the transaction that makes a replica follow `target`, or become a
/// master (`None`): `MULTI`, `SLAVEOF`, `CONFIG REWRITE`, `CLIENT KILL TYPE
/// normal`, `CLIENT KILL TYPE pubsub`, `EXEC`, every name renamed. Only
/// `EXEC`'s reply is read ([`MasterCtx::on_exec_reply`]). False if the link
/// is down.
pub(crate) fn send_replicaof(
    out: &mut Outbox,
    mc: &MasterConfig,
    link: &mut Link,
    target: Option<&Addr>,
) -> bool {
    if !link.is_up() {
        return false;
    }
    let port = target.map(|a| a.port.to_string()).unwrap_or_default();
    let args: [&str; 2] = match target {
        Some(a) => [a.host.as_str(), port.as_str()],
        None => ["NO", "ONE"],
    };
    let renames = &mc.rename_commands;
    link.send(out, Cmd::Setup, command(renames, "MULTI", &[]));
    link.send(out, Cmd::Setup, command(renames, "SLAVEOF", &args));
    send_rewrite_and_kill_body(out, mc, link);
    link.send(out, Cmd::Exec, command(renames, "EXEC", &[]));
    true
}

/// `MULTI`, `CONFIG REWRITE`, `CLIENT KILL TYPE normal|pubsub`, `EXEC`:
/// the end of a coordinated hand-over on each server (`coordinated.rs`).
pub(crate) fn send_rewrite_and_kill(out: &mut Outbox, mc: &MasterConfig, link: &mut Link) -> bool {
    if !link.is_up() {
        return false;
    }
    let renames = &mc.rename_commands;
    link.send(out, Cmd::Setup, command(renames, "MULTI", &[]));
    send_rewrite_and_kill_body(out, mc, link);
    link.send(out, Cmd::Exec, command(renames, "EXEC", &[]));
    true
}

/// The three commands inside both transactions.
fn send_rewrite_and_kill_body(out: &mut Outbox, mc: &MasterConfig, link: &mut Link) {
    let renames = &mc.rename_commands;
    link.send(out, Cmd::Setup, command(renames, "CONFIG", &["REWRITE"]));
    link.send(out, Cmd::Setup, command(renames, "CLIENT", &["KILL", "TYPE", "normal"]));
    link.send(out, Cmd::Setup, command(renames, "CLIENT", &["KILL", "TYPE", "pubsub"]));
}

/// Why a failover is given up.
pub(super) enum Abort {
    NotElected,
    NoGoodReplica,
    ReplicaTimeout,
}

impl Failover {
    /// When the current state runs out of time, and its timer: the
    /// election's timeout (`wait_start`), the wait for fresh replica INFO
    /// (`select_slave`), the state's timeout (`send_slaveof_noone`,
    /// `wait_promotion`, `reconf_slaves`); none in `update_config`.
    fn state_deadline(&self, mc: &MasterConfig, periods: &Periods) -> Option<(Millis, Timer)> {
        let ft = Millis(mc.failover_timeout_ms);
        Some(match &self.state {
            FailoverState::WaitStart { .. } => {
                (self.started + periods.election_timeout().min(ft), Timer::ElectionTimeout)
            }
            FailoverState::SelectReplica => {
                (self.state_since + SELECT_INFO_WAIT, Timer::FailoverTimeout)
            }
            FailoverState::SendReplicaofNoOne { .. }
            | FailoverState::WaitPromotion { .. }
            | FailoverState::ReconfReplicas { .. } => {
                (self.state_since + self.state_timeout(mc), Timer::FailoverTimeout)
            }
            FailoverState::UpdateConfig { .. } => return None,
        })
    }

    /// When we vote for ourselves and ask the peers (`wait_start`, not
    /// done yet: after the desync).
    fn vote_request_due(&self) -> Option<Millis> {
        match self.state {
            FailoverState::WaitStart { ask_at, asked: false } => Some(ask_at),
            _ => None,
        }
    }
}

/// When a replica sent `SLAVEOF` at `sent` counts as reconfigured anyway.
fn reconf_timeout_at(sent: Millis, periods: &Periods) -> Millis {
    sent + periods.replica_reconf_timeout()
}

impl Sentinel {
    /// The configuration to write: each master's as [`persisted`] gives it,
    /// in the order they were added.
    pub(crate) fn config_to_persist(&self) -> Config {
        let mut config = self.config.clone();
        for (mc, m) in self.masters.in_added_order() {
            config.add_master(persisted(mc, m));
        }
        config
    }

    /// `SENTINEL FAILOVER <name>`: a failover without ODOWN nor election.
    pub(crate) fn failover_command(&mut self, now: Millis, request: RequestId, name: &str) {
        let frame = self.with_master(now, name, |c| c.failover_command());
        self.reply(request, frame.unwrap_or_else(|| Frame::error(NO_SUCH_MASTER)), false);
    }
}

impl MasterCtx<'_> {
    /// `SENTINEL FAILOVER` of this master: refused while one runs or when
    /// no replica fits; the reply.
    fn failover_command(&mut self) -> Frame {
        if self.m.failover.is_some() {
            return Frame::error(crate::errors::INPROG);
        }
        if !has_candidate(self.mc, self.m, self.now, self.periods) {
            return Frame::error(crate::errors::NOGOODSLAVE);
        }
        self.start_failover(true);
        Frame::ok()
    }

    /// Moves the failover to `state`, now.
    pub(super) fn enter(&mut self, state: FailoverState) {
        if let Some(f) = self.m.failover.as_mut() {
            f.state = state;
            f.state_since = self.now;
        }
    }

    /// Starts a failover when [`MasterCtx::start_due`] is reached, runs it
    /// as far as its conditions allow now, then the master's periodic work
    /// again: what this step changed (SDOWN, ODOWN, a failover that speeds
    /// up replica INFO, hellos forced at promotion) may make a command due
    /// now, and it goes out in this step.
    pub(crate) fn run_failover(&mut self) {
        if reached(self.start_due(), self.now) {
            self.start_failover(false);
        }
        let running = self.m.failover.is_some();
        self.advance_failover();
        // A failover given up may be retried at once (the first rank after
        // a certain split): in this step, not 1 ms later.
        if running && self.m.failover.is_none() {
            if reached(self.start_due(), self.now) {
                self.start_failover(false);
            }
            self.advance_failover();
        }
        self.master_periodic();
    }

    /// The deadlines of [`MasterCtx::run_failover`].
    pub(crate) fn failover_deadlines(&self, e: &mut Earliest) {
        e.arm(Timer::FailoverRetry, self.start_due());
        let Some(f) = &self.m.failover else { return };
        e.arm(Timer::VoteRequest, f.vote_request_due());
        if let Some((at, timer)) = f.state_deadline(self.mc, self.periods) {
            e.arm(timer, Some(at));
        }
        if let FailoverState::ReconfReplicas { replicas, .. } = &f.state {
            for r in replicas.values() {
                if let Reconf::Sent(at) = r {
                    e.arm(Timer::ReplicaReconfTimeout, Some(reconf_timeout_at(*at, self.periods)));
                }
            }
        }
    }

    /// Whether the current state of the failover ran out of time.
    pub(super) fn state_timed_out(&self) -> bool {
        let deadline =
            self.m.failover.as_ref().and_then(|f| f.state_deadline(self.mc, self.periods));
        reached(deadline.map(|(at, _)| at), self.now)
    }

    /// The replica the failover promotes, from `send_slaveof_noone` on.
    fn promoted(&self) -> Option<Addr> {
        self.m.failover.as_ref().and_then(Failover::promoted).cloned()
    }

    /// Moves through as many states as their conditions allow.
    fn advance_failover(&mut self) {
        loop {
            let Some(f) = &self.m.failover else { return };
            let moved = match f.state {
                FailoverState::WaitStart { .. } => self.wait_start(),
                FailoverState::SelectReplica => self.choose_replica(),
                FailoverState::SendReplicaofNoOne { .. } => self.send_replicaof_no_one(),
                FailoverState::WaitPromotion { .. } => self.wait_promotion(),
                FailoverState::ReconfReplicas { .. } => self.reconf_replicas(),
                FailoverState::UpdateConfig { .. } => {
                    self.update_config();
                    false
                }
            };
            if !moved {
                return;
            }
        }
    }

    /// `select_slave`: the best replica, or abort. While the master is
    /// SDOWN, the choice waits (at most [`SELECT_INFO_WAIT`]) for an INFO
    /// taken since then from every reachable replica: an election won within
    /// milliseconds of SDOWN would otherwise judge replicas by INFO up to
    /// 10 s old, abort for want of a fresh one (`-failover-abort-no-good-slave`,
    /// then 2 × failover-timeout without failover), or pick by stale offsets.
    fn choose_replica(&mut self) -> bool {
        if !self.state_timed_out() && self.refresh_replica_info() {
            return false;
        }
        let (mc, m) = (&*self.mc, &*self.m);
        let Some(addr) = select_replica(mc, m, self.now, self.periods).map(|r| r.addr.clone())
        else {
            self.abort(Abort::NoGoodReplica);
            return false;
        };
        let rref = replica_ref(mc, &addr);
        let coordinated = m.failover.as_ref().is_some_and(|f| f.coordinated.is_some());
        self.event(Event::SelectedReplica(rref.clone()));
        if !coordinated {
            self.event(Event::FailoverStateSendReplicaofNoOne(rref));
        }
        self.enter(FailoverState::SendReplicaofNoOne { promoted: addr });
        true
    }

    /// `send_slaveof_noone`: the promotion transaction as soon as the
    /// replica's command link is up (for a coordinated failover, `FAILOVER
    /// TO` as soon as the master's is).
    fn send_replicaof_no_one(&mut self) -> bool {
        let Some(promoted) = self.promoted() else { return false };
        let coordinated = self.m.failover.as_ref().is_some_and(|f| f.coordinated.is_some());
        let sent = if coordinated {
            self.send_failover_to(&promoted)
        } else {
            let (mc, out) = (&*self.mc, &mut *self.out);
            match self.m.replicas.get_mut(&promoted) {
                Some(r) => send_replicaof(out, mc, &mut r.mon.cmd, None),
                None => false,
            }
        };
        if !sent {
            self.maybe_state_timeout();
            return false;
        }
        if !coordinated {
            self.event(Event::FailoverStateWaitPromotion(replica_ref(self.mc, &promoted)));
        }
        self.enter(FailoverState::WaitPromotion { promoted });
        true
    }

    /// `wait_promotion`: an INFO received since the transaction says
    /// `role:master`.
    fn wait_promotion(&mut self) -> bool {
        let (Some(f), Some(promoted)) = (&self.m.failover, self.promoted()) else { return false };
        let (since, epoch, coordinated) = (f.state_since, f.epoch, f.coordinated.is_some());
        let confirmed = self.m.replicas.get(&promoted).is_some_and(|r| {
            r.mon.role_reported == Role::Master && r.mon.info_refresh.is_some_and(|t| t >= since)
        });
        if !confirmed {
            self.maybe_state_timeout();
            return false;
        }
        self.mc.config_epoch = epoch;
        let replicas = BTreeMap::new();
        self.enter(FailoverState::ReconfReplicas { promoted: promoted.clone(), replicas });
        self.persist();
        let (rref, mref) = (replica_ref(self.mc, &promoted), master_ref(self.mc));
        self.event(Event::PromotedReplica(rref));
        if coordinated {
            self.send_handover_cleanup(&promoted);
        }
        let from = self.mc.addr.clone();
        self.queue_client_reconfig("leader", &from, &promoted);
        if self.simulate_failure_flags & SIMFAILURE_CRASH_AFTER_PROMOTION != 0 {
            self.out.push(Output::Exit(99));
            return false;
        }
        self.event(Event::FailoverStateReconfReplicas(mref));
        self.force_hellos();
        true
    }

    /// `reconf_slaves`: progress seen in INFO, the 10 s timeout of every
    /// `reconf_sent` replica (all of them, not only while a slot is free:
    /// redis-sentinel's §9.2 #13), `SLAVEOF` to as many replicas as
    /// `parallel-syncs` allows, and the end. Each event follows its send.
    fn reconf_replicas(&mut self) -> bool {
        let timed_out = self.state_timed_out();
        let MasterCtx { now, mc, m, config, out, periods, names, .. } = self;
        let (now, mc) = (*now, &**mc);
        let Master { failover: Some(f), replicas, .. } = &mut **m else { return false };
        let FailoverState::ReconfReplicas { promoted, replicas: states } = &mut f.state else {
            return false;
        };
        let target = names.announce(promoted, config.sentinel.announce_hostnames);
        let mut event = |e: Event| out.push(Output::Event(e));
        for (addr, st) in states.iter_mut() {
            let Some(r) = replicas.get(addr) else { continue };
            if let Reconf::Sent(at) = *st {
                let follows =
                    r.master_host.as_deref().is_some_and(|h| names.same_host(h, &promoted.host))
                        && r.master_port == Some(promoted.port)
                        && r.mon.info_refresh.is_some_and(|t| t >= at);
                if follows {
                    *st = Reconf::InProgress;
                    event(Event::ReplicaReconfInProgress(replica_ref(mc, addr)));
                } else if now >= reconf_timeout_at(at, periods) {
                    *st = Reconf::Done;
                    event(Event::ReplicaReconfSentTimeout(replica_ref(mc, addr)));
                }
            }
            if *st == Reconf::InProgress && r.master_link_up {
                *st = Reconf::Done;
                event(Event::ReplicaReconfDone(replica_ref(mc, addr)));
            }
        }
        let mut in_flight = states.values().filter(|s| **s != Reconf::Done).count();
        for (addr, r) in replicas.iter_mut() {
            if in_flight >= mc.parallel_syncs as usize {
                break;
            }
            if addr == promoted || states.contains_key(addr) {
                continue;
            }
            if send_replicaof(out, mc, &mut r.mon.cmd, Some(&target)) {
                states.insert(addr.clone(), Reconf::Sent(now));
                out.push(Output::Event(Event::ReplicaReconfSent(replica_ref(mc, addr))));
                in_flight += 1;
            }
        }
        // The end: every replica done or SDOWN, and the promoted one not
        // SDOWN (it may come back); or failover-timeout, which applies even
        // while the promoted replica is SDOWN (redis-sentinel's §9.2 #14).
        let waiting = replicas.iter().any(|(a, r)| {
            let done = states.get(a) == Some(&Reconf::Done);
            if a == promoted {
                r.mon.sdown_since.is_some()
            } else {
                !done && r.mon.sdown_since.is_none()
            }
        });
        if waiting && !timed_out {
            return false;
        }
        let mref = master_ref(mc);
        if timed_out {
            out.push(Output::Event(Event::FailoverEndForTimeout(mref.clone())));
        }
        out.push(Output::Event(Event::FailoverEnd(mref)));
        if timed_out {
            for (addr, r) in replicas.iter_mut() {
                if addr == promoted || states.contains_key(addr) {
                    continue;
                }
                if send_replicaof(out, mc, &mut r.mon.cmd, Some(&target)) {
                    let e = Event::ReplicaReconfSentBestEffort(replica_ref(mc, addr));
                    out.push(Output::Event(e));
                }
            }
        }
        let promoted = promoted.clone();
        f.state = FailoverState::UpdateConfig { promoted };
        f.state_since = now;
        true
    }

    /// Sends hellos with the new address to every instance and peer now,
    /// before the replicas are reconfigured, so peers switch first.
    fn force_hellos(&mut self) {
        let m = &mut *self.m;
        m.mon.hello_sent = None;
        for r in m.replicas.values_mut() {
            r.mon.hello_sent = None;
        }
        for p in m.sentinels.values_mut() {
            p.hello_sent = None;
        }
        self.master_periodic();
    }

    /// Aborts with `-failover-abort-slave-timeout` once the current state
    /// lasted failover-timeout (before promotion only); a coordinated
    /// failover waiting for its promotion also tells the master to stop.
    fn maybe_state_timeout(&mut self) {
        let Some(f) = &self.m.failover else { return };
        if !self.state_timed_out() {
            return;
        }
        let sent_failover_to =
            f.coordinated.is_some() && matches!(f.state, FailoverState::WaitPromotion { .. });
        self.abort(Abort::ReplicaTimeout);
        if sent_failover_to {
            self.send_failover_abort();
        }
    }

    /// Gives up: the event, then the failover is forgotten. Its start time
    /// stays, so the next attempt waits 2 × failover-timeout.
    pub(super) fn abort(&mut self, why: Abort) {
        let mref = master_ref(self.mc);
        self.event(match why {
            Abort::NotElected => Event::FailoverAbortNotElected(mref),
            Abort::NoGoodReplica => Event::FailoverAbortNoGoodReplica(mref),
            Abort::ReplicaTimeout => Event::FailoverAbortReplicaTimeout(mref),
        });
        self.m.failover = None;
    }

    /// `update_config`: `+switch-master` and the master entry moves to the
    /// promoted address (persisted in `switch_master`).
    fn update_config(&mut self) {
        let Some(promoted) = self.promoted() else { return };
        let first =
            vec![Event::SwitchMaster { master: master_ref(self.mc), new_addr: promoted.clone() }];
        self.switch_master(promoted, first);
    }

    /// An `EXEC` reply on replica `addr`'s command link: ask INFO at once,
    /// so the promotion or reconfiguration shows without waiting for the
    /// INFO period.
    pub(crate) fn on_exec_reply(&mut self, addr: &Addr) {
        let Some(r) = self.m.replicas.get_mut(addr) else { return };
        r.mon.ask_info(self.out, &self.mc.rename_commands, self.now);
    }

    /// Asks INFO of every reachable replica of the SDOWN master that has
    /// not answered one since the master went down, unless one is on its
    /// way. True while any of them is awaited.
    pub(crate) fn refresh_replica_info(&mut self) -> bool {
        let Some(down) = self.m.mon.sdown_since else { return false };
        let mut awaited = false;
        for r in self.m.replicas.values_mut() {
            let fresh = r.mon.info_refresh.is_some_and(|t| t >= down);
            if fresh || r.mon.sdown_since.is_some() || !r.mon.cmd.is_up() || r.priority == 0 {
                continue;
            }
            awaited = true;
            if r.mon.info_sent.is_none_or(|t| t < down) {
                r.mon.ask_info(self.out, &self.mc.rename_commands, self.now);
            }
        }
        awaited
    }
}
