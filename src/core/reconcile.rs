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

use super::ctx::MasterCtx;
use super::event::Event;
use super::failover::send_replicaof;
use super::info::Role;
use super::instance::{Master, Replica, replica_ref};
use super::names::Names;
use super::output::Output;
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

/// The correction replica `r` needs (spec §6.3), if any: which, the time
/// after which the facts that decide it count (`at`), and when it is due
/// (`at`, and at most once per INFO period).
fn correction(
    mc: &MasterConfig,
    r: &Replica,
    names: &Names,
    periods: &Periods,
) -> Option<(Fix, Millis, Millis)> {
    let down = r.mon.last_down.unwrap_or(Millis::ZERO);
    let (fix, at) = match r.mon.role_reported {
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
        let mut target = None;
        for (addr, r) in m.replicas.iter_mut() {
            let Some((fix, at, due)) = correction(mc, r, names, periods) else { continue };
            if !reached(Some(due), now) {
                continue;
            }
            // Decide on facts observed after the waiting time: ask for them.
            if r.mon.info_refresh.is_none_or(|t| t < at) {
                if r.mon.info_sent.is_none_or(|t| t < at) {
                    r.mon.ask_info(out, &mc.rename_commands, now);
                }
                continue;
            }
            let target = target.get_or_insert_with(|| {
                names.announce(&mc.addr, config.sentinel.announce_hostnames)
            });
            if send_replicaof(out, mc, &mut r.mon.cmd, Some(target)) {
                r.replicaof_sent = Some(now);
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
        for r in self.m.replicas.values() {
            let Some((_, _, due)) = correction(self.mc, r, self.names, self.periods) else {
                continue;
            };
            e.arm(Timer::Reconcile, Some(due).filter(|at| *at > self.now));
        }
    }
}
