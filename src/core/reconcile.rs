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

use super::event::Event;
use super::failover::send_slaveof;
use super::info::Role;
use super::instance::{Master, Replica, replica_ref};
use super::names::Names;
use super::output::Output;
use super::sentinel::Sentinel;
use super::timer::{Earliest, Millis, Periods, Timer};
use crate::config::MasterConfig;

/// Which correction a replica needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fix {
    /// It reports `role:master`.
    Convert,
    /// It follows another master.
    Reconfigure,
}

/// The correction replica `r` needs, if any, and from when (spec §6.3).
fn needed(
    mc: &MasterConfig,
    r: &Replica,
    names: &Names,
    periods: &Periods,
) -> Option<(Fix, Millis)> {
    let down = r.mon.last_down.unwrap_or(Millis::ZERO);
    match r.mon.role_reported {
        Role::Master => {
            let wait = Millis(4 * periods.publish().0);
            Some((Fix::Convert, r.mon.role_reported_time.max(down) + wait))
        }
        Role::Replica => {
            let host = r.master_host.as_deref()?;
            // The replica may name its master by IP while we know it by
            // name, or the other way round (`names.rs`).
            if names.same_host(host, &mc.addr.host) && r.master_port == Some(mc.addr.port) {
                return None;
            }
            let wait = Millis(mc.failover_timeout_ms);
            Some((Fix::Reconfigure, r.conf_change_time.max(down) + wait))
        }
    }
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

impl Sentinel {
    /// Converts or fixes the replicas of `name` whose time has come.
    pub(crate) fn reconcile_replicas(&mut self, now: Millis, name: &str) {
        let Sentinel { config, masters, out, periods, names, .. } = self;
        let Some((mc, m)) = masters.record_mut(name) else { return };
        record_down(m);
        let target = names.announce(&mc.addr, config.sentinel.announce_hostnames);
        if m.failover.is_some() || !looks_sane(m, now, periods) {
            return;
        }
        for (addr, r) in m.replicas.iter_mut() {
            let Some((fix, at)) = needed(mc, r, names, periods) else { continue };
            if now < at || r.slaveof_sent.is_some_and(|t| now < t + periods.info()) {
                continue;
            }
            // Decide on facts observed after the waiting time: ask for them.
            if r.mon.info_refresh.is_none_or(|t| t < at) {
                if r.mon.info_sent.is_none_or(|t| t < at) {
                    r.mon.ask_info(out, &mc.rename_commands, now);
                }
                continue;
            }
            if send_slaveof(out, mc, &mut r.mon.cmd, Some(&target)) {
                r.slaveof_sent = Some(now);
                let rref = replica_ref(mc, addr);
                out.push(Output::Event(match fix {
                    Fix::Convert => Event::ConvertToReplica(rref),
                    Fix::Reconfigure => Event::FixReplicaConfig(rref),
                }));
            }
        }
    }

    /// The deadlines of [`Sentinel::reconcile_replicas`].
    pub(crate) fn arm_reconcile(&self, e: &mut Earliest, name: &str) {
        let Some((mc, m)) = self.masters.record(name) else {
            return;
        };
        let now = self.last_now;
        if m.failover.is_some() || !looks_sane(m, now, &self.periods) {
            return;
        }
        for r in m.replicas.values() {
            let Some((_, at)) = needed(mc, r, &self.names, &self.periods) else { continue };
            let resend = r.slaveof_sent.map(|t| t + self.periods.info());
            let at = resend.map_or(at, |t| t.max(at));
            if at > now {
                e.arm(Timer::Reconcile, Some(at));
            }
        }
    }
}
