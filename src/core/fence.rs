//! Fencing (rsentinel only, off by default): `sentinel fence <master> <ms>`.
//!
//! Under a partition that cuts the master's host off, redis-sentinel's
//! clients on that side keep writing to the old master for the whole
//! partition: their sentinel still names it, and every write is lost when
//! the old master is demoted (Jepsen 2013; `bench/partition.py`). With
//! `fence` set, a sentinel that sees no majority of the known sentinels (us
//! included) answer its PINGs or send a hello for `fence` ms pauses the writes of the
//! master it names (`CLIENT PAUSE <fence> WRITE`, renewed every half
//! `fence` while it lasts: `+fence`): writes wait and time out instead of
//! being acknowledged. It lifts the fence (`-fence`; the pause runs out
//! within `fence` ms) once a majority answers again *and* sent hellos since
//! the fence began: a peer that failed the master over meanwhile has a
//! newer configuration, its hello switches us first, and the old master is
//! then converted at once (`reconcile.rs`) rather than unpaused.
//!
//! PINGs to the master's instances and peers go out every `fence` / 3 at
//! most, so a silent majority is noticed within ≈ 4/3 `fence` of the cut
//! (a peer link shared by several masters follows the first by name, as
//! for down-after: give them the same `fence`).
//! Writes a client saw acknowledged in that window are the ones lost.
//!
//! Why this design (measured with `bench/partition.py`, README): Redis' own
//! `min-replicas-to-write 1` / `min-replicas-max-lag 1` refuses writes only
//! 1–3 s after the last replica ACK (lag is counted in whole seconds,
//! checked once a second), and refuses every write as soon as the replicas
//! alone are down. Fencing on the sentinels' majority costs nothing when
//! only replicas fail; its availability cost is that a master whose
//! sentinels lost their majority (a partition among sentinels, or most of
//! them down) takes no writes until the majority is back.
//!
//! Hellos are not published on a master while our pause may last (`PUBLISH`
//! waits out a write pause and would hold the link).

use super::ctx::MasterCtx;
use super::event::Event;
use super::ids::RunId;
use super::info::Role;
use super::instance::master_ref;
use super::link::{Cmd, command};
use super::quorum::majority;
use super::timer::{Earliest, Millis, Timer, reached};

/// A fence in place on a master.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fence {
    /// When the majority went silent.
    pub since: Millis,
    /// When the last `CLIENT PAUSE` was sent.
    pub paused_at: Option<Millis>,
}

impl MasterCtx<'_> {
    /// The fence time, if fencing is on.
    fn fence_time(&self) -> Option<Millis> {
        (self.mc.fence_ms != 0).then_some(Millis(self.mc.fence_ms))
    }

    /// Since when peer `runid` has been silent: neither answered a PING
    /// (its oldest unanswered one, or its last valid reply while its link
    /// is down) nor sent a hello about this master; `None` while it answers.
    fn silent_since(&self, runid: &RunId) -> Option<Millis> {
        let ping = match self.peers.get(runid) {
            Some(pl) if pl.link.is_up() => pl.link.act_ping?,
            Some(pl) => pl.link.last_avail,
            None => Millis::ZERO,
        };
        let hello = self.m.sentinels.get(runid).and_then(|p| p.last_hello);
        Some(hello.map_or(ping, |h| h.max(ping)))
    }

    /// When a majority of the sentinels will have been silent for `fence`
    /// (now or in the past: isolated; `None`: never, on current facts).
    fn isolated_at(&self, fence: Millis) -> Option<Millis> {
        let mut silent: Vec<Millis> = self
            .m
            .sentinels
            .keys()
            .filter_map(|id| self.silent_since(id))
            .map(|t| t + fence)
            .collect();
        silent.sort();
        // Us plus the peers not (yet) silent must fall below a majority.
        let voters = self.m.sentinels.len() + 1;
        let must_fall = (voters + 1).checked_sub(majority(voters))?;
        silent.get(must_fall.checked_sub(1)?).copied()
    }

    /// Whether a majority (us included) sent hellos since `since`.
    fn heard_since(&self, since: Millis) -> bool {
        let heard = self.m.sentinels.values().filter(|p| p.last_hello.is_some_and(|t| t > since));
        1 + heard.count() >= majority(self.m.sentinels.len() + 1)
    }

    /// Raises, renews and lifts the fence on this master.
    pub(crate) fn fence(&mut self) {
        let Some(fence) = self.fence_time() else {
            // Turned off by SENTINEL SET: the pause runs out by itself.
            if self.m.fence.take().is_some() {
                self.event(Event::FenceOff(master_ref(self.mc)));
            }
            return;
        };
        let isolated = self.isolated_at(fence).is_some_and(|t| t <= self.now);
        match self.m.fence {
            None if isolated => {
                self.m.fence = Some(Fence { since: self.now, paused_at: None });
                self.event(Event::FenceOn(master_ref(self.mc)));
            }
            Some(f) if !isolated && self.heard_since(f.since) => {
                self.m.fence = None;
                self.event(Event::FenceOff(master_ref(self.mc)));
            }
            _ => {}
        }
        if reached(self.pause_due(fence), self.now) {
            let ms = fence.0.to_string();
            let args = command(&self.mc.rename_commands, "CLIENT", &["PAUSE", &ms, "WRITE"]);
            if self.m.mon.cmd.send(self.out, Cmd::Setup, args) {
                self.m.mon.fence_until = Some(self.now + fence);
                if let Some(f) = &mut self.m.fence {
                    f.paused_at = Some(self.now);
                }
            }
        }
    }

    /// When the master's write pause is next due: while fenced, at once and
    /// then every half fence, if the master is reachable, reports
    /// `role:master` and no failover of ours runs.
    fn pause_due(&self, fence: Millis) -> Option<Millis> {
        let f = self.m.fence?;
        let m = &*self.m;
        let possible =
            m.mon.cmd.can_queue(1) && m.mon.role_reported == Role::Master && m.failover.is_none();
        possible.then(|| f.paused_at.map_or(f.since, |t| t + Millis(fence.0 / 2)))
    }

    /// The deadlines of [`MasterCtx::fence`]: the moment a majority will
    /// have been silent for the fence time, and the next pause.
    pub(crate) fn fence_deadlines(&self, e: &mut Earliest) {
        let Some(fence) = self.fence_time() else { return };
        if self.m.fence.is_none() {
            e.arm(Timer::Fence, self.isolated_at(fence).filter(|t| *t > self.now));
        }
        e.arm(Timer::Fence, self.pause_due(fence).filter(|t| *t > self.now));
    }
}
