//! SUBJECTIVE AND OBJECTIVE DOWN, and TILT (spec §7.1, §7.2, §7.7).
//!
//! SDOWN is armed as a deadline ([`Timer::DownAfter`]): the instant
//! `down-after-milliseconds` has passed since the oldest unanswered PING
//! (or since the last valid reply, while disconnected), the step flags the
//! instance, instead of waiting for the next periodic check.

use super::ctx::MasterCtx;
use super::event::{Event, InstanceRef};
use super::ids::Addr;
use super::info::Role;
use super::instance::{Master, Monitor, master_ref, peer_ref, replica_ref};
use super::output::Output;
use super::quorum::odown_votes;
use super::sentinel::Sentinel;
use super::timer::{Earliest, Millis, Periods, Timer, reached};
use crate::config::MasterConfig;

/// When a master goes SDOWN: no valid reply for down-after, or reporting
/// `role:slave` for down-after + 2 INFO periods, or rebooted and not
/// answering `PONG` for master-reboot-down-after-period.
fn master_sdown_at(mc: &MasterConfig, m: &Master, periods: &Periods) -> Option<Millis> {
    let down_after = Millis(mc.down_after_ms);
    let mut at = m.mon.cmd.unavailable_at(down_after);
    if m.mon.role_reported == Role::Replica {
        let role_at = m.mon.role_reported_time + down_after + Millis(2 * periods.info().0);
        at = Some(at.map_or(role_at, |a| a.min(role_at)));
    }
    if mc.master_reboot_down_after_period_ms != 0
        && let Some(since) = m.reboot_since
    {
        let reboot_at = since + Millis(mc.master_reboot_down_after_period_ms);
        at = Some(at.map_or(reboot_at, |a| a.min(reboot_at)));
    }
    at
}

/// Sets or clears SDOWN; returns the event to emit, if it changed.
fn set_sdown(
    since: &mut Option<Millis>,
    down: bool,
    now: Millis,
    instance: impl FnOnce() -> InstanceRef,
) -> Option<Event> {
    match (since.is_some(), down) {
        (false, true) => {
            *since = Some(now);
            Some(Event::SdownOn(instance()))
        }
        (true, false) => {
            *since = None;
            Some(Event::SdownOff(instance()))
        }
        _ => None,
    }
}

/// SDOWN of a master or replica; clears `script_kill_sent` with it.
fn check_monitor(mon: &mut Monitor, down: bool) -> bool {
    let was = mon.sdown_since.is_some();
    if was && !down {
        mon.script_kill_sent = false;
    }
    was != down
}

impl Sentinel {
    /// Enters TILT if this input comes more than the TILT trigger after the
    /// deadline we asked for (the process stalled), or time went backwards.
    pub(crate) fn check_tilt(&mut self, now: Millis) {
        let late = self.deadline.is_some_and(|(at, _)| now > at + self.periods.tilt_trigger());
        if now < self.last_now || late {
            tracing::debug!(now = now.0, last = self.last_now.0, "entering TILT");
            self.tilt_since = Some(now);
            self.total_tilt += 1;
            self.event(Event::TiltOn);
        }
        self.last_now = now;
    }

    /// When TILT ends: once it lasted the TILT period (never with no
    /// master, as redis-sentinel).
    pub(crate) fn tilt_end_due(&self) -> Option<Millis> {
        let since = self.tilt_since.filter(|_| !self.masters.is_empty())?;
        Some(since + self.periods.tilt_period())
    }

    /// Leaves TILT when [`Sentinel::tilt_end_due`] is reached.
    pub(crate) fn maybe_exit_tilt(&mut self, now: Millis) {
        if reached(self.tilt_end_due(), now) {
            self.tilt_since = None;
            self.event(Event::TiltOff);
        }
    }
}

impl MasterCtx<'_> {
    /// Updates SDOWN of the master, its replicas and its peers: each is
    /// down once its [`master_sdown_at`] or [`Link::unavailable_at`] is
    /// reached, and up again when that moves past now.
    pub(crate) fn check_sdown(&mut self) {
        let MasterCtx { now, mc, m, out, peers, periods, .. } = self;
        let (now, mc) = (*now, &**mc);
        let down_after = Millis(mc.down_after_ms);
        let mut event = |e: Option<Event>| {
            if let Some(e) = e {
                out.push(Output::Event(e));
            }
        };
        let down = reached(master_sdown_at(mc, m, periods), now);
        if check_monitor(&mut m.mon, down) {
            event(set_sdown(&mut m.mon.sdown_since, down, now, || master_ref(mc)));
        }
        for (addr, r) in m.replicas.iter_mut() {
            let down = reached(r.mon.cmd.unavailable_at(down_after), now);
            if check_monitor(&mut r.mon, down) {
                event(set_sdown(&mut r.mon.sdown_since, down, now, || replica_ref(mc, addr)));
            }
        }
        for (runid, p) in m.sentinels.iter_mut() {
            let Some(pl) = peers.get(runid) else { continue };
            let down = reached(pl.link.unavailable_at(down_after), now);
            let addr: &Addr = &p.addr;
            event(set_sdown(&mut p.sdown_since, down, now, || peer_ref(mc, runid, addr)));
        }
    }

    /// The SDOWN deadlines of the master, its replicas and its peers (those
    /// not SDOWN yet; clearing it needs a reply, an input).
    pub(crate) fn sdown_deadlines(&self, e: &mut Earliest) {
        let (mc, m) = (&*self.mc, &*self.m);
        let down_after = Millis(mc.down_after_ms);
        if m.mon.sdown_since.is_none() {
            e.arm(Timer::DownAfter, master_sdown_at(mc, m, self.periods));
        }
        for r in m.replicas.values().filter(|r| r.mon.sdown_since.is_none()) {
            e.arm(Timer::DownAfter, r.mon.cmd.unavailable_at(down_after));
        }
        for (runid, _) in m.sentinels.iter().filter(|(_, p)| p.sdown_since.is_none()) {
            if let Some(pl) = self.peers.get(runid) {
                e.arm(Timer::DownAfter, pl.link.unavailable_at(down_after));
            }
        }
    }

    /// Sets or clears ODOWN: SDOWN here and enough peers agree (§7.2).
    /// Follows state only (no deadline of its own).
    pub(crate) fn check_odown(&mut self) {
        let (mc, m) = (&*self.mc, &mut *self.m);
        let votes = odown_votes(m);
        let odown = m.mon.sdown_since.is_some() && votes >= mc.quorum;
        let event = match (m.odown_since.is_some(), odown) {
            (false, true) => {
                m.odown_since = Some(self.now);
                Event::OdownOn { master: master_ref(mc), votes, quorum: mc.quorum }
            }
            (true, false) => {
                m.odown_since = None;
                m.fast_retries = 0;
                Event::OdownOff(master_ref(mc))
            }
            _ => return,
        };
        self.event(event);
    }
}
