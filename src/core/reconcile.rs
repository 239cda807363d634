//! Role reconciliation (spec §7.6): replicas that disagree with our
//! configuration are told to follow the master, once it looks sane.
//!
//! - A replica reporting `role:master` (typically the old master, back
//!   after a failover, which the switch made a replica) gets `SLAVEOF
//!   <master>` once 4 hello periods (8 s) passed since its role changed and
//!   since it last went SDOWN: `+convert-to-slave`.
//! - A replica following another address gets the same once
//!   failover-timeout passed since that changed and since it last went
//!   SDOWN: `+fix-slave-config`.
//!
//! redis-sentinel checks this only when an INFO arrives, so a returning old
//! master waits for its second INFO, ≈ 10 s (§9.2 #4). Here the moment the
//! waiting time ends is a deadline ([`Timer::Reconcile`]): an INFO is asked
//! at once, and its reply, if it still disagrees, is acted upon, ≈ 8 s plus
//! one round trip. Nothing happens while our own failover of that master
//! runs, nor in TILT. `SLAVEOF` is resent at most once per INFO period.
//!
//! # Converting a stale old master at once
//!
//! The 8 s are there for the case where *we* are the stale one: a sentinel
//! cut off from its peers still names the old master, and the instance it
//! sees claiming `role:master` may be the real, newer master; waiting four
//! hello periods gives the hellos that carry the newer configuration time
//! to arrive. But every second of it is a second in which a partitioned old
//! master, back on the network, takes writes that its demotion will throw
//! away (the Jepsen 2013 loss, `bench/partition.py`). So a replica that
//! reports `role:master` is converted as soon as two independent facts
//! prove that it is the stale one (`stale_master`), each enough on its own
//! in the ordinary cases, together robust to the odd one:
//!
//! 1. **Lineage, from Redis itself.** Our master's INFO says
//!    `master_replid2` = the claimant's `master_replid`: our master was
//!    promoted out of the claimant's history, and the claimant has neither
//!    followed anyone nor been promoted since (either would have changed
//!    its replication ID). So the claimant holds only writes from before
//!    our master's promotion plus writes made in isolation since: demoting
//!    it cannot drop a write our master took, and what it discards was
//!    lost the moment our master was promoted.
//! 2. **Epochs, from a majority of sentinels.** The claimant can only be a
//!    newer master if a failover in an epoch above our master's config
//!    epoch elected a leader, with votes of a majority, before the
//!    promotion we now see. A sentinel that voted in an epoch carries it as
//!    its current epoch from then on. So if a majority of the known
//!    sentinels (us included: our own current epoch) sent hellos, received
//!    after we saw the claimant as master, whose current epoch is at most
//!    our config epoch, no such majority can exist: the two majorities
//!    would share a sentinel. A sentinel that is itself partitioned or
//!    stale cannot gather that majority: the peers that voted carry the
//!    newer epoch, and it hears too few others.
//!
//! `SENTINEL FAILOVER` (forced, no votes) escapes (2), and a hello that
//! waited out a partition in a TCP buffer could pass it; (1) still holds
//! then. Redis keeps no replication ID for a master that was restarted
//! without persistence, which fails (1): the 8 s rule applies.
//!
//! **Flapping.** Once converted, the instance follows our master and takes
//! its replication ID, so (1) fails for it until it is promoted again from
//! our master's history. On top of that, an instance is converted at once
//! at most once per failover-timeout; otherwise the 8 s rule applies. The
//! simulation (`tests/sim.rs`, `partition_heal`) checks the bound after
//! the heal and that no conversion ever targets the instance named by the
//! newest configuration.

use std::collections::BTreeMap;

use super::ctx::MasterCtx;
use super::event::Event;
use super::failover::send_replicaof;
use super::ids::{Epoch, RunId};
use super::info::Role;
use super::instance::{Master, Monitor, Peer, Replica, replica_ref};
use super::names::Names;
use super::output::Output;
use super::quorum::majority;
use super::timer::{Earliest, Millis, Periods, Timer, reached};
use crate::config::MasterConfig;

/// Which correction a replica needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fix {
    /// It reports `role:master`.
    Convert,
    /// It follows another master.
    Reconfigure,
}

/// What proves a replica claiming `role:master` stale (module doc): our
/// master's INFO facts, the peers' hellos, our current epoch.
struct Proof<'a> {
    master: &'a Monitor,
    peers: &'a BTreeMap<RunId, Box<Peer>>,
    current_epoch: Epoch,
    now: Millis,
}

impl Proof<'_> {
    /// Whether `r` may be converted at once: it reports `role:master`,
    /// answers, was not converted at once within failover-timeout, and
    /// both the lineage and the epochs show it stale.
    fn stale_master(&self, mc: &MasterConfig, r: &Replica) -> bool {
        r.mon.role_reported == Role::Master
            && r.mon.sdown_since.is_none()
            && r.converted_at_once.is_none_or(|t| self.now - t >= Millis(mc.failover_timeout_ms))
            && self.lineage(&r.mon)
            && self.vouched(mc.config_epoch, r.mon.role_reported_time)
    }

    /// Our master was promoted out of `claimant`'s history (fact 1).
    fn lineage(&self, claimant: &Monitor) -> bool {
        claimant.replid.0.is_some() && self.master.replid.1 == claimant.replid.0
    }

    /// A majority of the known sentinels showed, after `since`, a current
    /// epoch no newer than `config_epoch` (fact 2).
    fn vouched(&self, config_epoch: Epoch, since: Millis) -> bool {
        let us = usize::from(self.current_epoch <= config_epoch);
        let peers = self
            .peers
            .values()
            .filter(|p| p.last_hello.is_some_and(|t| t > since) && p.hello_epoch <= config_epoch)
            .count();
        us + peers >= majority(self.peers.len() + 1)
    }
}

/// The correction replica `r` needs (spec §6.3), if any: which, the time
/// after which the facts that decide it count (`at`), and when it is due
/// (`at`, and at most once per INFO period). A stale old master proven so
/// (`at_once`) is due from the INFO that showed its role.
fn correction(
    mc: &MasterConfig,
    r: &Replica,
    names: &Names,
    periods: &Periods,
    at_once: bool,
) -> Option<(Fix, Millis, Millis)> {
    let down = r.mon.last_down.unwrap_or(Millis::ZERO);
    let (fix, at) = match r.mon.role_reported {
        Role::Master if at_once => (Fix::Convert, r.mon.role_reported_time),
        Role::Master => {
            let wait = Millis(4 * periods.publish().0);
            (Fix::Convert, r.mon.role_reported_time.max(down) + wait)
        }
        Role::Replica => {
            let host = r.master_host.as_deref()?;
            // The replica may name its master by IP while we know it by
            // name, or the other way round (`names.rs`).
            if names.same_host(host, &mc.addr.host) && r.master_port == Some(mc.addr.port) {
                return None;
            }
            let wait = Millis(mc.failover_timeout_ms);
            (Fix::Reconfigure, r.conf_change_time.max(down) + wait)
        }
    };
    let resend = r.replicaof_sent.map(|t| t + periods.info());
    Some((fix, at, resend.map_or(at, |t| t.max(at))))
}

/// A master we may point replicas at: it reports `role:master`, is neither
/// SDOWN nor ODOWN, and its INFO is younger than 2 INFO periods.
fn looks_sane(m: &Master, now: Millis, periods: &Periods) -> bool {
    m.mon.role_reported == Role::Master
        && m.mon.sdown_since.is_none()
        && m.odown_since.is_none()
        && m.mon.info_refresh.is_some_and(|t| now - t < Millis(2 * periods.info().0))
}

/// Remembers when the master and its replicas last entered SDOWN/ODOWN.
fn record_down(m: &mut Master) {
    for t in [m.mon.sdown_since, m.odown_since].into_iter().flatten() {
        m.mon.last_down = m.mon.last_down.max(Some(t));
    }
    for r in m.replicas.values_mut() {
        r.mon.last_down = r.mon.last_down.max(r.mon.sdown_since);
    }
}

impl MasterCtx<'_> {
    /// Whether replicas may be corrected now: no failover of ours runs and
    /// the master looks sane.
    fn reconciling(&self) -> bool {
        self.m.failover.is_none() && looks_sane(self.m, self.now, self.periods)
    }

    /// Converts or fixes the replicas whose [`correction`] is due.
    pub(crate) fn reconcile_replicas(&mut self) {
        record_down(self.m);
        if !self.reconciling() {
            return;
        }
        let MasterCtx { now, mc, m, config, out, periods, names, .. } = self;
        let (now, mc) = (*now, &**mc);
        let Master { mon, replicas, sentinels, .. } = &mut **m;
        let proof = Proof {
            master: mon,
            peers: sentinels,
            current_epoch: config.sentinel.current_epoch,
            now,
        };
        let mut target = None;
        for (addr, r) in replicas.iter_mut() {
            let at_once = proof.stale_master(mc, r);
            let Some((fix, at, due)) = correction(mc, r, names, periods, at_once) else {
                continue;
            };
            if !reached(Some(due), now) {
                continue;
            }
            // Decide on facts observed after the waiting time and after our
            // last SLAVEOF (a link killed by another sentinel's conversion
            // can leave our last INFO older than it): ask for them.
            let stale = |t: Option<Millis>| {
                t.is_none_or(|t| t < at || r.replicaof_sent.is_some_and(|sent| t <= sent))
            };
            if stale(r.mon.info_refresh) {
                if stale(r.mon.info_sent) {
                    r.mon.ask_info(out, &mc.rename_commands, now);
                }
                continue;
            }
            let target = target.get_or_insert_with(|| {
                names.announce(&mc.addr, config.sentinel.announce_hostnames)
            });
            if send_replicaof(out, mc, &mut r.mon.cmd, Some(target)) {
                r.replicaof_sent = Some(now);
                if at_once {
                    r.converted_at_once = Some(now);
                }
                let rref = replica_ref(mc, addr);
                out.push(Output::Event(match fix {
                    Fix::Convert => Event::ConvertToReplica(rref),
                    Fix::Reconfigure => Event::FixReplicaConfig(rref),
                }));
            }
        }
    }

    /// The deadlines of [`MasterCtx::reconcile_replicas`]. A past time is
    /// none: the step acted then, and now waits for an INFO reply or for
    /// the replica's link (tried again at the master's next visit).
    pub(crate) fn reconcile_deadlines(&self, e: &mut Earliest) {
        if !self.reconciling() {
            return;
        }
        let m = &*self.m;
        let current_epoch = self.config.sentinel.current_epoch;
        let proof = Proof { master: &m.mon, peers: &m.sentinels, current_epoch, now: self.now };
        for r in m.replicas.values() {
            let at_once = proof.stale_master(self.mc, r);
            let Some((_, _, due)) = correction(self.mc, r, self.names, self.periods, at_once)
            else {
                continue;
            };
            e.arm(Timer::Reconcile, Some(due).filter(|at| *at > self.now));
        }
    }
}
