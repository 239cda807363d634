//! Safety invariants, checked after every step of the world.
//!
//! The world knows the ground truth (every view, every process, the
//! network), so each check compares what a sentinel believes with what is
//! true or with what its peers believed:
//!
//! - **(a) ODOWN needs a quorum**: a master is `o_down` in a view only if at
//!   least `quorum` sentinels (that one included) had it `s_down` (at the
//!   same address) within the last 5 × ask period, plus [`SLACK_MS`].
//! - **(b) no false SDOWN**: a master that runs, reports `role:master` and is
//!   reachable from the sentinel is not `s_down` once nothing has disturbed
//!   the world for down-after + [`SETTLE_MS`], and the network loses nothing.
//! - **DESIGN 1**: at most one sentinel is elected leader for a master in
//!   an epoch.
//! - **DESIGN 2**: a sentinel never votes for two leaders of one master in
//!   one epoch (across restarts too: the vote is on disk). Per master, as in
//!   redis-sentinel: votes are kept per master, and masters failing together
//!   share an epoch by design (rule 9 of `src/core/election.rs`), so a
//!   sentinel may vote for one leader of each in the same epoch. DESIGN.md
//!   words it without the master.
//! - **DESIGN 3**: `current_epoch` and every `config_epoch` never go
//!   backwards, in the view or on disk; neither does `leader_epoch` on disk.
//! - **DESIGN 6**: no `+try-failover` while the master has been healthy
//!   since the last disturbance for longer than down-after + [`SETTLE_MS`].
//! - **contract**: the core only sends on links it opened, never reuses an
//!   open link id, and answers each request once.
//!
//! Views are judged only when they are *settled*: the process is not
//! paused, the core has no overdue timer (it has not yet looked at the
//! clock), and it is not in TILT (redis-sentinel freezes flags in TILT).

use std::collections::BTreeMap;

use rsentinel::config::Config;
use rsentinel::core::{Addr, Epoch, Event, Millis, View};

use crate::world::Params;

/// `is-master-down-by-addr` replies are forgotten after 5 × this.
pub const ASK_PERIOD_MS: u64 = 1000;
/// Tolerance for timer granularity and network delay in (a).
pub const SLACK_MS: u64 = 1000;
/// After a disturbance, how long beyond down-after a sentinel may need to
/// see a healthy master again (reconnect at most once per ping period, a
/// PING, the reply).
pub const SETTLE_MS: u64 = 3000;

/// What the world tells the checker about one live sentinel.
pub struct SentinelState<'a> {
    /// Its index.
    pub i: usize,
    /// Not paused.
    pub running: bool,
    /// Running, with no overdue timer.
    pub settled: bool,
    /// Per master of the view: is the Redis at its address a reachable,
    /// running master?
    pub healthy: Vec<bool>,
    /// Its view.
    pub view: &'a View,
}

/// Replaces the DESIGN 4 bound; set it to `Some(1)` once to see the check
/// fail. `None` in real runs.
const FAILOVER_BOUND_OVERRIDE: Option<u64> = None;

/// Invariant state and findings.
#[derive(Debug)]
pub struct Checker {
    down_after_ms: u64,
    lossy: bool,
    violations: Vec<String>,
    last_disturbance: Millis,
    last_sdown: BTreeMap<(usize, Addr), Millis>,
    max_epoch: BTreeMap<usize, Epoch>,
    max_config_epoch: BTreeMap<(usize, String), Epoch>,
    votes: BTreeMap<(usize, String, Epoch), String>,
    leaders: BTreeMap<(String, Epoch), (usize, String)>,
    failover_epoch: BTreeMap<(usize, String), Epoch>,
    last_new_epoch: BTreeMap<usize, Epoch>,
    /// Since when each running, non-TILT sentinel shows a failover of a
    /// master in progress (DESIGN 4).
    failover_since: BTreeMap<(usize, String), Millis>,
    /// The longest a failover may last: the election timeout plus
    /// failover-timeout for each of promotion, its confirmation and the
    /// reconfiguration of replicas, plus slack for network delays.
    failover_bound: Millis,
}

fn has(flags: &[&str], f: &str) -> bool {
    flags.contains(&f)
}

impl Checker {
    /// A checker for a world with these parameters.
    pub fn new(p: &Params) -> Checker {
        Checker {
            down_after_ms: p.down_after_ms,
            lossy: p.net.loss_ppm > 0,
            violations: Vec::new(),
            last_disturbance: Millis::ZERO,
            last_sdown: BTreeMap::new(),
            max_epoch: BTreeMap::new(),
            max_config_epoch: BTreeMap::new(),
            votes: BTreeMap::new(),
            leaders: BTreeMap::new(),
            failover_epoch: BTreeMap::new(),
            last_new_epoch: BTreeMap::new(),
            failover_since: BTreeMap::new(),
            failover_bound: Millis(
                FAILOVER_BOUND_OVERRIDE.unwrap_or(
                    p.failover_timeout_ms.min(10_000) + 3 * p.failover_timeout_ms + 5_000,
                ),
            ),
        }
    }

    /// Records a violation.
    pub fn violation(&mut self, now: Millis, what: String) {
        self.violations.push(format!("t={now}: {what}"));
    }

    /// Records a breach of the world/core contract.
    pub fn contract(&mut self, now: Millis, what: String) {
        self.violation(now, format!("contract: {what}"));
    }

    /// The first violation, if any.
    pub fn first_violation(&self) -> Option<&str> {
        self.violations.first().map(String::as_str)
    }

    /// A fault happened, or a Redis changed role: health-based checks wait.
    pub fn disturbed(&mut self, now: Millis) {
        self.last_disturbance = now;
    }

    /// Whether the network loses messages (then a healthy master may
    /// legitimately look down: enough resets in a row starve the PINGs).
    pub fn set_lossy(&mut self, lossy: bool) {
        self.lossy = lossy;
    }

    fn quiet_for_long(&self, now: Millis) -> bool {
        !self.lossy && (now - self.last_disturbance).as_u64() > self.down_after_ms + SETTLE_MS
    }

    /// An event from sentinel `i`; `healthy` says, for `+try-failover`,
    /// whether its master is up and reachable.
    pub fn on_event(&mut self, now: Millis, i: usize, e: &Event, view: &View, healthy: bool) {
        match e {
            Event::NewEpoch { epoch, .. } => {
                self.last_new_epoch.insert(i, *epoch);
            }
            Event::TryFailover(m) => {
                let epoch = self.last_new_epoch.get(&i).copied().unwrap_or(view.current_epoch);
                self.failover_epoch.insert((i, m.name.clone()), epoch);
                if healthy && self.quiet_for_long(now) {
                    self.violation(
                        now,
                        format!("DESIGN 6: S{i} started a failover of a healthy master: {e}"),
                    );
                }
            }
            Event::ElectedLeader(m) => {
                let key = (i, m.name.clone());
                let epoch = self.failover_epoch.get(&key).copied().unwrap_or(view.current_epoch);
                let me = (i, view.myid.as_str().to_owned());
                match self.leaders.get(&(m.name.clone(), epoch)) {
                    Some(other) if other.1 != me.1 => {
                        let msg = format!(
                            "DESIGN 1: two leaders for {} in epoch {epoch}: S{} and S{i}",
                            m.name, other.0
                        );
                        self.violation(now, msg);
                    }
                    _ => {
                        self.leaders.insert((m.name.clone(), epoch), me);
                    }
                }
            }
            Event::VoteForLeader { master, leader, epoch } => {
                // A vote for ourselves is cast in our election's epoch (it
                // moves to a newer epoch when the current one passes it).
                if *leader == view.myid {
                    self.failover_epoch.insert((i, master.name.clone()), *epoch);
                }
                let key = (i, master.name.clone(), *epoch);
                match self.votes.get(&key) {
                    Some(prev) if *prev != leader.as_str() => {
                        let msg = format!(
                            "DESIGN 2: S{i} voted for {prev} and for {leader} in epoch {epoch}"
                        );
                        self.violation(now, msg);
                    }
                    _ => {
                        self.votes.insert(key, leader.as_str().to_owned());
                    }
                }
            }
            _ => {}
        }
    }

    /// Sentinel `i` persists `new` over `old`.
    pub fn on_persist(&mut self, now: Millis, i: usize, old: &Config, new: &Config) {
        if new.sentinel.current_epoch < old.sentinel.current_epoch {
            let msg = format!(
                "DESIGN 3: S{i} persisted current-epoch {} over {}",
                new.sentinel.current_epoch, old.sentinel.current_epoch
            );
            self.violation(now, msg);
        }
        if old.sentinel.myid.is_some() && new.sentinel.myid != old.sentinel.myid {
            self.violation(now, format!("S{i} persisted a new myid over {:?}", old.sentinel.myid));
        }
        for m in &new.masters {
            let Some(o) = old.master(&m.name) else { continue };
            if m.config_epoch < o.config_epoch || m.leader_epoch < o.leader_epoch {
                let msg = format!(
                    "DESIGN 3: S{i} persisted {} config/leader epoch {}/{} over {}/{}",
                    m.name, m.config_epoch, m.leader_epoch, o.config_epoch, o.leader_epoch
                );
                self.violation(now, msg);
            }
        }
    }

    /// Checks the views after a step.
    pub fn after_step(&mut self, now: Millis, states: &[SentinelState<'_>]) {
        // Ground truth first: who has which master SDOWN now.
        for s in states.iter().filter(|s| s.running) {
            for m in &s.view.masters {
                if has(&m.instance.flags, "s_down") {
                    self.last_sdown.insert((s.i, m.instance.addr.clone()), now);
                }
            }
        }
        for s in states {
            let i = s.i;
            // DESIGN 3, in memory.
            let e = self.max_epoch.entry(i).or_default();
            if s.view.current_epoch < *e {
                let msg = format!(
                    "DESIGN 3: S{i} current_epoch went from {e} to {}",
                    s.view.current_epoch
                );
                self.violation(now, msg);
            } else {
                self.max_epoch.insert(i, s.view.current_epoch);
            }
            for m in &s.view.masters {
                let key = (i, m.instance.name.clone());
                let prev = self.max_config_epoch.get(&key).copied().unwrap_or_default();
                if m.config_epoch < prev {
                    let msg = format!(
                        "DESIGN 3: S{i} config_epoch of {} went from {prev} to {}",
                        m.instance.name, m.config_epoch
                    );
                    self.violation(now, msg);
                } else {
                    self.max_config_epoch.insert(key, m.config_epoch);
                }
            }
            // DESIGN 4: a failover that starts ends (switched or aborted) in
            // bounded time. The clock only counts while the sentinel runs
            // outside TILT (TILT suspends the state machine, a paused process
            // does nothing).
            for m in &s.view.masters {
                let key = (i, m.instance.name.clone());
                let running = s.running && s.view.tilt_since.is_none();
                if running && has(&m.instance.flags, "failover_in_progress") {
                    let since = *self.failover_since.entry(key).or_insert(now);
                    if now - since > self.failover_bound {
                        let msg = format!(
                            "DESIGN 4: S{i} has been failing over {} since {since} (state {:?})",
                            m.instance.name, m.failover_state
                        );
                        self.violation(now, msg);
                    }
                } else {
                    self.failover_since.remove(&key);
                }
            }
            if !s.settled || s.view.tilt_since.is_some() {
                continue;
            }
            for (k, m) in s.view.masters.iter().enumerate() {
                let flags = &m.instance.flags;
                // (a) ODOWN only with a quorum of recent SDOWNs.
                if has(flags, "o_down") {
                    let window = 5 * ASK_PERIOD_MS + SLACK_MS;
                    let addr = &m.instance.addr;
                    let agreeing = self
                        .last_sdown
                        .iter()
                        .filter(|((_, a), t)| a == addr && (now - **t).as_u64() <= window)
                        .count();
                    if (agreeing as u32) < m.quorum {
                        let msg = format!(
                            "(a) S{i} has {} o_down but only {agreeing} sentinel(s) had it s_down \
                             in the last {window} ms (quorum {})",
                            m.instance.name, m.quorum
                        );
                        self.violation(now, msg);
                    }
                }
                // (b) no SDOWN for a healthy master.
                if has(flags, "s_down")
                    && s.healthy.get(k).copied().unwrap_or(false)
                    && self.quiet_for_long(now)
                {
                    let msg = format!(
                        "(b) S{i} has {} ({}) s_down although it is up and reachable since t={}",
                        m.instance.name, m.instance.addr, self.last_disturbance
                    );
                    self.violation(now, msg);
                }
            }
        }
    }
}
