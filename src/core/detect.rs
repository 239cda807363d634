//! SUBJECTIVE AND OBJECTIVE DOWN, and TILT (spec §7.1, §7.2, §7.7).
//!
//! SDOWN is armed as a deadline ([`Timer::DownAfter`]): the instant
//! `down-after-milliseconds` has passed since the oldest unanswered PING
//! (or since the last valid reply, while disconnected), the step flags the
//! instance, instead of waiting for the next periodic check.

use super::event::Event;
use super::ids::Addr;
use super::instance::{Master, Monitor, master_ref, peer_ref, replica_ref};
use super::link::Link;
use super::quorum::odown_votes;
use super::sentinel::Sentinel;
use super::timer::{Earliest, Millis, Periods, Timer, reached};
use crate::config::MasterConfig;

/// When a link's instance goes SDOWN for lack of valid replies.
fn unavailable_at(link: &Link, down_after: Millis) -> Option<Millis> {
    link.unavailable_at(down_after)
}

/// When a master goes SDOWN: no valid reply for down-after, or reporting
/// `role:slave` for down-after + 2 INFO periods, or rebooted and not
/// answering `PONG` for master-reboot-down-after-period.
fn master_sdown_at(mc: &MasterConfig, m: &Master, periods: &Periods) -> Option<Millis> {
    let down_after = Millis(mc.down_after_ms);
    let mut at = unavailable_at(&m.mon.cmd, down_after);
    if m.mon.role_reported == super::info::Role::Replica {
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
    instance: impl FnOnce() -> super::event::InstanceRef,
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

    /// Leaves TILT once it lasted the TILT period (never with no master,
    /// as redis-sentinel).
    pub(crate) fn maybe_exit_tilt(&mut self, now: Millis) {
        if let Some(since) = self.tilt_since
            && !self.masters.is_empty()
            && now >= since + self.periods.tilt_period()
        {
            self.tilt_since = None;
            self.event(Event::TiltOff);
        }
    }

    /// The deadline of [`Sentinel::maybe_exit_tilt`].
    pub(crate) fn arm_tilt(&self, e: &mut Earliest) {
        if let Some(since) = self.tilt_since
            && !self.masters.is_empty()
        {
            e.arm(Timer::TiltEnd, Some(since + self.periods.tilt_period()));
        }
    }

    /// Updates SDOWN of a master, its replicas and its peers.
    pub(crate) fn check_sdown(&mut self, now: Millis, name: &str) {
        let Sentinel { masters, peers, out, periods, .. } = self;
        let Some((mc, m)) = masters.record_mut(name) else { return };
        let down_after = Millis(mc.down_after_ms);
        let mut events = Vec::new();
        let down = reached(master_sdown_at(mc, m, periods), now);
        if check_monitor(&mut m.mon, down) {
            events.extend(set_sdown(&mut m.mon.sdown_since, down, now, || master_ref(mc)));
        }
        for (addr, r) in m.replicas.iter_mut() {
            let down = reached(unavailable_at(&r.mon.cmd, down_after), now);
            if check_monitor(&mut r.mon, down) {
                events
                    .extend(set_sdown(&mut r.mon.sdown_since, down, now, || replica_ref(mc, addr)));
            }
        }
        for (runid, p) in m.sentinels.iter_mut() {
            let Some(pl) = peers.get(runid) else { continue };
            let down = reached(unavailable_at(&pl.link, down_after), now);
            let addr: &Addr = &p.addr;
            let event = set_sdown(&mut p.sdown_since, down, now, || peer_ref(mc, runid, addr));
            events.extend(event);
        }
        for e in events {
            out.push(super::output::Output::Event(e));
        }
    }

    /// The SDOWN deadlines of a master, its replicas and its peers.
    pub(crate) fn arm_sdown(&self, e: &mut Earliest, name: &str) {
        let Some((mc, m)) = self.masters.record(name) else {
            return;
        };
        let down_after = Millis(mc.down_after_ms);
        if m.mon.sdown_since.is_none() {
            e.arm(Timer::DownAfter, master_sdown_at(mc, m, &self.periods));
        }
        for r in m.replicas.values().filter(|r| r.mon.sdown_since.is_none()) {
            e.arm(Timer::DownAfter, unavailable_at(&r.mon.cmd, down_after));
        }
        for (runid, p) in &m.sentinels {
            if let Some(pl) = self.peers.get(runid)
                && p.sdown_since.is_none()
            {
                e.arm(Timer::DownAfter, unavailable_at(&pl.link, down_after));
            }
        }
    }

    /// Sets or clears ODOWN: SDOWN here and enough peers agree (§7.2).
    pub(crate) fn check_odown(&mut self, now: Millis, name: &str) {
        let Some((mc, m)) = self.masters.record_mut(name) else {
            return;
        };
        let votes = odown_votes(m);
        let odown = m.mon.sdown_since.is_some() && votes >= mc.quorum;
        let event = match (m.odown_since.is_some(), odown) {
            (false, true) => {
                m.odown_since = Some(now);
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
