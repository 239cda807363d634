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
//! Election (`wait_start`): a master ODOWN for us, with no failover running
//! and none started (or voted away) in the last 2 × failover-timeout, gets a
//! new epoch (persisted before `+new-epoch` and `+try-failover`), or the
//! current one when this master had no election and no configuration in it
//! (`failover_epoch`). After a random delay below [`VOTE_REQUEST_DESYNC`] we
//! vote for ourselves and ask
//! every peer for its vote at once; each reply is counted as it arrives
//! (`is_elected`). A candidate that receives another's request during its
//! delay grants it and steps down; so does one that learns a newer epoch;
//! a certain split is retried at once, staggered by rank. The rules, and
//! how they differ from redis-sentinel's, are in `election.rs`.
//!
//! After the switch ([`MasterCtx::switch_master`]) the master entry starts
//! over at the promoted address; the old master, once back, is converted by
//! `reconcile.rs`.

use std::collections::BTreeMap;

use super::command::{SIMFAILURE_CRASH_AFTER_ELECTION, SIMFAILURE_CRASH_AFTER_PROMOTION};
use super::coordinated::Coordinated;
use super::ctx::{MasterCtx, persisted};
use super::event::Event;
use super::ids::{Addr, Epoch, RunId};
use super::info::Role;
use super::input::RequestId;
use super::instance::{Master, master_ref, replica_ref};
use super::link::{Cmd, Link, Outbox, command};
use super::output::Output;
use super::quorum::majority;
use super::select::{has_candidate, select_replica};
use super::sentinel::Sentinel;
use super::timer::{Earliest, Millis, Periods, Timer, reached};
use crate::config::{Config, MasterConfig};
use crate::errors::NO_SUCH_MASTER;
use crate::resp::Frame;

/// The vote request of a new election goes out after a random delay in
/// `0..VOTE_REQUEST_DESYNC` (seeded `Rng`), so that two sentinels reaching
/// ODOWN at the same moment rarely ask at the same moment: the later one
/// grants the earlier one's request while it waits, and cannot win.
/// redis-sentinel only has 0–999 ms added to its timeouts, not to the
/// request. Small, as it adds to every failover's latency; it must be
/// large against the one-way peer delay, as splits happen when candidates
/// ask within about one delay of each other.
///
/// 100 ms, from a simulation sweep (now `tests/sim/election.rs`,
/// `SIM_ELECTION_SWEEP=1 SIM_DESYNC_VALUES=...`), made before the
/// step-down, hold-off and split-retry rules: master killed, all sentinels
/// ODOWN within ms, 500 seeds per cell, % of first elections that elected
/// a leader (3 / 5 sentinels) by one-way delay:
///
/// | desync | 0–1 ms      | 0–5 ms      | 0–20 ms     |
/// |--------|-------------|-------------|-------------|
/// | 0      | 99.0 / 96.0 | 99.0 / 92.0 | 98.8 / 93.4 |
/// | 5      | 99.8 / 99.6 | 99.4 / 96.6 | 98.8 / 93.2 |
/// | 10     | 100 / 100   | 98.8 / 97.6 | 98.2 / 93.4 |
/// | 20     | 100 / 100   | 100 / 99.8  | 98.6 / 93.2 |
/// | 50     | 100 / 100   | 100 / 99.8  | 99.6 / 97.2 |
/// | 100    | 100 / 100   | 100 / 99.8  | 99.6 / 98.8 |
/// | 200    | 100 / 100   | 100 / 100   | 99.8 / 99.4 |
///
/// 20 ms is the smallest value near 100 % up to 5 ms delays, 50 the
/// smallest that helps at the harness's worst 20 ms; we take 100, because a
/// lost first round costs 2 × failover-timeout (6 minutes with the default)
/// while 100 ms costs ~15–40 ms of median time to switch (the failover
/// benchmark in the README was measured with it).
/// Changeable for tests only (`Sentinel::set_vote_desync`).
pub(crate) const VOTE_REQUEST_DESYNC: Millis = Millis(100);

/// How long after a peer raised our current epoch, beyond the vote desync,
/// we hold off starting a failover (`next_start_at`): room for the vote
/// request of the candidate that raised it to arrive.
const EPOCH_HOLD: Millis = Millis(100);

/// The turn of each sentinel ranked before us for a master's failover
/// (`lead_rank`): we start ours this much later per such sentinel. It must
/// cover the first one's vote request reaching us, which under load (150
/// masters failing at once on two cores) takes tens of ms; and it adds to
/// the failover's time whenever the first in the order reaches ODOWN later
/// than we do. From the election sweep (150 seeds a cell, 4800 worlds):
/// with 150 ms and the first asking at once, every world elected in the
/// first round, votes were contested in at most 2 % of a cell (up to 37 %
/// without turns), and the median switch came 20–75 ms later than without
/// turns; 200 ms broke DESIGN 7's bound (down-after + 1.5 s) in two
/// seeds of five sentinels with timers out of phase, and 100 ms left
/// competing elections for a third of the masters in one of two real runs
/// of `bench/massfail.py` at 150 masters.
const LEAD_STAGGER: Millis = Millis(150);

/// After a certain split vote, the candidate of rank k (by run id) retries
/// k × this later (`split_rank`): long against a vote request's trip.
const SPLIT_RETRY_STAGGER: Millis = Millis(100);

/// Fast retries after split votes while a master stays ODOWN; then the
/// 2 × failover-timeout rule again.
const MAX_FAST_RETRIES: u32 = 3;

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
enum Abort {
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

/// Where a sentinel stands in the order of candidates for a master's
/// failover: FNV-1a over its run id, a zero byte and the master's name. A
/// fixed function (not the standard library's hasher, which may change
/// between releases), so that every sentinel, whatever its version,
/// computes the same order.
fn lead_order(runid: &RunId, master: &str) -> u64 {
    let bytes = runid.as_str().bytes().chain([0]).chain(master.bytes());
    bytes.fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
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
    fn enter(&mut self, state: FailoverState) {
        if let Some(f) = self.m.failover.as_mut() {
            f.state = state;
            f.state_since = self.now;
        }
    }

    /// When a failover may start: the master ODOWN for us, none running,
    /// [`MasterCtx::next_start_at`] passed, and our turn come
    /// ([`LEAD_STAGGER`] per sentinel before us in
    /// [`MasterCtx::lead_rank`]) (`None`: it cannot start).
    fn start_due(&self) -> Option<Millis> {
        if self.m.failover.is_some() {
            return None;
        }
        let odown = self.m.odown_since?;
        let turn = odown + Millis(self.lead_rank() * LEAD_STAGGER.0);
        Some(self.next_start_at().unwrap_or(Millis::ZERO).max(turn))
    }

    /// Our rank among the sentinels that may lead this master's failover
    /// (rule 10 in `election.rs`): how many known peers not SDOWN come
    /// before us in [`lead_order`]. Every sentinel that knows the same peers
    /// computes the same order, and the order differs from master to
    /// master, so that when many masters fail together each sentinel leads
    /// about its share, and the others vote instead of competing: all
    /// three starting at once, with 150 masters down, made 3 to 4 elections
    /// per master, most of them stepping down.
    fn lead_rank(&self) -> u64 {
        let me = self.myid();
        let mine = (lead_order(me, &self.mc.name), me);
        let before = self
            .m
            .sentinels
            .iter()
            .filter(|(id, p)| {
                p.sdown_since.is_none() && (lead_order(id, &self.mc.name), *id) < mine
            })
            .count();
        before as u64
    }

    /// When a failover may start (`None`: now). 2 × failover-timeout after
    /// our last start or our vote for another sentinel (redis-sentinel's
    /// rule), or sooner after a certain split vote (`fast_retry_at`); and
    /// never within [`EPOCH_HOLD`] + the vote desync of a peer raising our
    /// current epoch: that peer may be a candidate whose vote request is on
    /// its way, and starting a newer epoch would make two candidates (the
    /// lab's split vote, issue 8; with different epochs, even two leaders).
    fn next_start_at(&self) -> Option<Millis> {
        let (mc, m) = (&*self.mc, &*self.m);
        let blocked = m
            .fast_retry_at
            .or_else(|| m.failover_start_time.map(|t| t + Millis(2 * mc.failover_timeout_ms)));
        let hold = self.epoch_raised_at.map(|t| t + EPOCH_HOLD + self.periods.vote_desync());
        blocked.max(hold)
    }

    /// A failover in [`MasterCtx::failover_epoch`]; a raised current epoch
    /// is persisted, then `+new-epoch`; then `+try-failover`.
    pub(crate) fn start_failover(&mut self, forced: bool) {
        let now = self.now;
        let epoch = self.failover_epoch(forced);
        let raised = epoch > self.config.sentinel.current_epoch;
        self.config.sentinel.current_epoch = epoch;
        let first = self.lead_rank() == 0;
        let m = &mut *self.m;
        // Alone (no peer known), nobody can compete: no desync. After a
        // split, the retries are staggered by rank instead (`split_rank`).
        // First in the turns (`lead_rank`), the others wait for our
        // request: asking at once also lets the vote requests of masters
        // failing together leave in one step, after one save of our votes
        // (with a desync each, 150 masters made 150 saves in a row, and the
        // last requests arrived after the others' turns).
        let alone = forced || first || m.sentinels.is_empty() || m.fast_retry_at.take().is_some();
        let delay = if alone { 0 } else { self.rng.below(self.periods.vote_desync().0.max(1)) };
        m.failover_start_time = Some(now);
        m.failover = Some(Failover {
            epoch,
            forced,
            started: now,
            state_since: now,
            state: FailoverState::WaitStart { ask_at: now + Millis(delay), asked: false },
            coordinated: None,
        });
        let mref = master_ref(self.mc);
        if raised {
            self.persist();
            self.event(Event::NewEpoch { master: mref.clone(), epoch });
        }
        self.event(Event::TryFailover(mref));
        // Fresh replica INFO for `select_slave`, on its way during the election.
        self.refresh_replica_info();
    }

    /// The epoch of a failover starting now: the current epoch when this
    /// master has had no election in it (our vote for it is older) and its
    /// configuration is older, else a new one (redis-sentinel always takes
    /// a new one). The current epoch is shared by all masters while votes
    /// and configuration epochs are per master, so an epoch raised by
    /// another master's failover is still free for this one. When many
    /// masters fail together (a host with several of them dies), their
    /// elections then share one epoch instead of each start raising it
    /// and every waiting election moving on to it, asking again (rule 2
    /// in `election.rs`): with 150 masters down, that churn made hundreds
    /// of epochs and left masters without a leader for minutes. Safe: a
    /// leader still needs a majority of votes for this master in this
    /// epoch, one per voter, and the promotion's configuration epoch is
    /// newer than the one it replaces. A forced failover has no election
    /// to rely on, and always takes a new epoch.
    fn failover_epoch(&self, forced: bool) -> Epoch {
        let current = self.config.sentinel.current_epoch;
        let free = self.mc.leader_epoch < current && self.mc.config_epoch < current;
        if forced || !free { current.next() } else { current }
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
    fn state_timed_out(&self) -> bool {
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

    /// `wait_start`: move to a newer current epoch, or step down if another
    /// candidate has our vote; vote and ask once the desync passed; then
    /// count.
    fn wait_start(&mut self) -> bool {
        let (now, current) = (self.now, self.config.sentinel.current_epoch);
        let Some(f) = self.m.failover.as_mut() else { return false };
        let FailoverState::WaitStart { ask_at, asked } = &mut f.state else { return false };
        if !f.forced && current > f.epoch {
            // Our epoch is spent: votes of it no longer come (a voter refuses
            // an epoch older than its current one), and the newer epoch
            // belongs to every master (another master's failover, a hello).
            // Run this election in it; already asking, ask again at once.
            tracing::debug!(master = self.mc.name, from = %f.epoch, to = %current, "election moves on");
            f.epoch = current;
            if *asked {
                (*ask_at, *asked) = (now, false);
            }
        }
        let (forced, epoch, ask_at, asked) = (f.forced, f.epoch, *ask_at, *asked);
        if !forced && self.outranked(epoch) {
            tracing::debug!(master = self.mc.name, %epoch, "stepping down for another candidate");
            self.abort(Abort::NotElected);
            return false;
        }
        if !asked {
            if now < ask_at {
                return false;
            }
            let myid = self.myid().clone();
            self.vote_leader(epoch, myid);
            if let Some(f) = self.m.failover.as_mut() {
                f.state = FailoverState::WaitStart { ask_at, asked: true };
            }
            if !forced {
                self.ask_peers(true);
            }
        }
        if forced || self.is_elected(epoch) {
            let mref = master_ref(self.mc);
            self.event(Event::ElectedLeader(mref.clone()));
            if self.simulate_failure_flags & SIMFAILURE_CRASH_AFTER_ELECTION != 0 {
                self.out.push(Output::Exit(99));
                return false;
            }
            self.event(Event::FailoverStateSelectReplica(mref));
            self.enter(FailoverState::SelectReplica);
            return true;
        }
        if let Some(rank) = self.split_rank(epoch) {
            let m = &mut *self.m;
            if m.fast_retries < MAX_FAST_RETRIES {
                m.fast_retries += 1;
                m.fast_retry_at = Some(now + Millis(SPLIT_RETRY_STAGGER.0 * rank as u64));
            }
            tracing::debug!(master = self.mc.name, %epoch, rank, "split vote: nobody can win");
            self.abort(Abort::NotElected);
            return false;
        }
        if self.state_timed_out() {
            self.abort(Abort::NotElected);
        }
        false
    }

    /// Whether another candidate has priority over our election in
    /// `epoch` (the current one: `wait_start` moved the election there):
    /// our own vote for this master in it went to that candidate, which
    /// asked first. We step down; our vote already helps it.
    fn outranked(&self, epoch: Epoch) -> bool {
        self.mc.leader_epoch == epoch && self.m.leader.as_ref().is_some_and(|l| l != self.myid())
    }

    /// If nobody can win `epoch` any more (the votes we know of leave every
    /// candidate short of a majority or the quorum even with every vote we
    /// do not know), our rank among the candidates that voted for
    /// themselves, by run id. Retrying at once, staggered by that rank, is
    /// safe (no leader exists in `epoch`) and replaces the 2 ×
    /// failover-timeout wait: rank 0 asks first and the others, still
    /// waiting, vote for it.
    fn split_rank(&self, epoch: Epoch) -> Option<usize> {
        let (mc, m, me) = (&*self.mc, &*self.m, self.myid());
        let mut votes: BTreeMap<&RunId, usize> = BTreeMap::new();
        let mut candidates = Vec::new();
        let mut known = 0;
        if mc.leader_epoch == epoch
            && let Some(leader) = &m.leader
        {
            *votes.entry(leader).or_default() += 1;
            known += 1;
            if leader == me {
                candidates.push(me);
            }
        }
        for (runid, p) in &m.sentinels {
            let Some((leader, _)) = p.leader.as_ref().filter(|(_, e)| *e == epoch) else {
                continue;
            };
            *votes.entry(leader).or_default() += 1;
            known += 1;
            if leader == runid {
                candidates.push(runid);
            }
        }
        let voters = m.sentinels.len() + 1;
        let needed = majority(voters).max(mc.quorum as usize);
        let best = votes.values().copied().max().unwrap_or(0);
        if best + (voters - known) >= needed {
            return None;
        }
        candidates.sort();
        candidates.iter().position(|c| *c == me)
    }

    /// Whether we hold votes from a majority of the known sentinels (us
    /// included) and at least the quorum, in `epoch`, and no newer epoch
    /// began meanwhile (spec §7.3 counting).
    fn is_elected(&self, epoch: Epoch) -> bool {
        let (mc, m, me) = (&*self.mc, &*self.m, self.myid());
        if self.config.sentinel.current_epoch != epoch {
            return false;
        }
        let own = usize::from(m.leader.as_ref() == Some(me) && mc.leader_epoch == epoch);
        let peers = m
            .sentinels
            .values()
            .filter(|p| p.leader.as_ref().is_some_and(|(r, e)| r == me && *e == epoch))
            .count();
        let votes = own + peers;
        votes >= majority(m.sentinels.len() + 1) && votes >= mc.quorum as usize
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
    fn abort(&mut self, why: Abort) {
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
