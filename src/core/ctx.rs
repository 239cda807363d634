//! [`MasterCtx`]: one master's record borrowed together with what its rules
//! share with the other masters, and the list of those rules.
//!
//! A step visits a master by building its context once
//! ([`Sentinel::with_master`]) and calling [`MasterCtx::step`]; the rearm
//! builds it again and asks [`MasterCtx::next_deadline`]. Both walk the
//! same rules in the same order, and each rule states when it is next due
//! in one function (`*_due`, `*_at`) that returns `None` when it cannot
//! fire: the step acts when that time is reached, the rearm keeps the
//! earliest. A rule never looks its master up by name: the context holds
//! it.
//!
//! Persisting needs every master's configuration, and the context holds
//! only one. [`MasterCtx::persist`] queues a `Persist` with this master's
//! configuration as it is at that moment, and [`Sentinel::with_master`]
//! adds the others' when the borrow ends: they cannot change meanwhile, so
//! the file written is the one an eager copy would have given.

use std::collections::BTreeMap;

use super::event::Event;
use super::failover::Failover;
use super::ids::RunId;
use super::instance::{Master, PeerLink};
use super::link::Outbox;
use super::masters::MasterId;
use super::names::Names;
use super::output::Output;
use super::rng::Rng;
use super::scripts::Scripts;
use super::sentinel::Sentinel;
use super::timer::{Earliest, Millis, Periods, Timer};
use crate::config::{Config, MasterConfig};

/// One master's configuration and state, borrowed with what its rules read
/// and change besides them. Built once per master and step.
pub(crate) struct MasterCtx<'a> {
    /// The time of the input being handled.
    pub now: Millis,
    /// The master's id (its links' owner).
    pub id: MasterId,
    /// The master's configuration (kept as it is persisted).
    pub mc: &'a mut MasterConfig,
    /// The master's run-time state.
    pub m: &'a mut Master,
    /// The sentinel's own configuration (its masters are in their records):
    /// the current epoch, the announce settings.
    pub config: &'a mut Config,
    /// Our run id.
    pub myid: &'a RunId,
    /// Where outputs go.
    pub out: &'a mut Outbox,
    /// The shared links to peer sentinels, by run id.
    pub peers: &'a mut BTreeMap<RunId, PeerLink>,
    /// The periods `SENTINEL DEBUG` can change.
    pub periods: &'a Periods,
    /// Hostnames and the IPs they led to (`names.rs`).
    pub names: &'a Names,
    /// The seeded source of randomness.
    pub rng: &'a mut Rng,
    /// The script queue (client-reconfig scripts).
    pub scripts: &'a mut Scripts,
    /// When a peer last raised our current epoch.
    pub epoch_raised_at: &'a mut Option<Millis>,
    /// Whether we are in TILT: no judging (SDOWN, ODOWN, failover).
    pub tilt: bool,
    /// `SENTINEL SIMULATE-FAILURE` flags.
    pub simulate_failure_flags: u32,
}

impl MasterCtx<'_> {
    /// Runs every rule of this master that is due now, in redis-sentinel's
    /// order: the master's links and periodic commands, then (out of TILT)
    /// the judging rules, then the replicas' periodic commands (after the
    /// master is judged: a master going SDOWN in this step shortens its
    /// replicas' INFO period, and the INFO that makes due goes out now).
    pub fn step(&mut self) {
        self.master_periodic();
        if !self.tilt {
            self.check_sdown();
            self.expire_peer_reports();
            self.check_odown();
            self.run_failover();
            self.reconcile_replicas();
            self.fence();
            self.abort_stuck_handover();
            self.ask_peers(false);
        }
        self.replicas_periodic();
    }

    /// The earliest time a rule of [`MasterCtx::step`] is due, and its
    /// timer: the same rules, asked only when they are next due.
    pub fn next_deadline(&self) -> Option<(Millis, Timer)> {
        let mut e = Earliest::default();
        self.periodic_deadlines(&mut e);
        if !self.tilt {
            self.sdown_deadlines(&mut e);
            self.peer_report_deadlines(&mut e);
            self.failover_deadlines(&mut e);
            self.reconcile_deadlines(&mut e);
            self.fence_deadlines(&mut e);
            e.arm(Timer::StuckHandover, self.stuck_handover_due());
        }
        e.0
    }

    /// Our run id.
    pub fn myid(&self) -> &RunId {
        self.myid
    }

    /// Queues an event.
    pub fn event(&mut self, event: Event) {
        self.out.push(Output::Event(event));
    }

    /// Asks for a `Persist` within a second (`Outbox::persist_soon`).
    pub fn persist_soon(&mut self) {
        self.out.persist_soon(self.now);
    }

    /// Queues a `Persist` ([`Outbox::persist`]).
    pub fn persist(&mut self) {
        self.out.persist();
    }
}

/// A master's configuration as it is written: during a failover past
/// promotion, the master line has the promoted address and the old master
/// takes the promoted replica's place among the replicas (spec §2.2 lines
/// 5, 16).
pub(crate) fn persisted(mc: &MasterConfig, m: &Master) -> MasterConfig {
    let mut mc = mc.clone();
    if let Some(promoted) = m.failover.as_ref().and_then(Failover::client_addr) {
        let old = std::mem::replace(&mut mc.addr, promoted.clone());
        for r in mc.known_replicas.iter_mut().filter(|r| *r == promoted) {
            *r = old.clone();
        }
    }
    mc
}

impl Sentinel {
    /// Runs `f` on master `name`'s context (`None`: not monitored).
    pub(crate) fn with_master<R>(
        &mut self,
        now: Millis,
        name: &str,
        f: impl FnOnce(&mut MasterCtx) -> R,
    ) -> Option<R> {
        let id = self.masters.id(name)?;
        self.with_master_id(now, id, f)
    }

    /// Runs `f` on master `id`'s context (`None`: not monitored).
    pub(crate) fn with_master_id<R>(
        &mut self,
        now: Millis,
        id: MasterId,
        f: impl FnOnce(&mut MasterCtx) -> R,
    ) -> Option<R> {
        let Sentinel {
            myid,
            config,
            rng,
            out,
            masters,
            peers,
            names,
            periods,
            tilt_since,
            epoch_raised_at,
            simulate_failure_flags,
            scripts,
            ..
        } = self;
        let (mc, m) = masters.both_mut_by_id(id)?;
        let mut ctx = MasterCtx {
            now,
            id,
            myid,
            mc,
            m,
            config,
            out,
            peers,
            periods,
            names,
            rng,
            scripts,
            epoch_raised_at,
            tilt: tilt_since.is_some(),
            simulate_failure_flags: *simulate_failure_flags,
        };
        Some(f(&mut ctx))
    }
}
