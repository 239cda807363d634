//! COORDINATED FAILOVER: `SENTINEL FAILOVER <name> COORDINATED`, a manual
//! switchover that loses no acknowledged write (rsentinel only).
//!
//! A plain `SENTINEL FAILOVER` promotes the replica with `SLAVEOF NO ONE`
//! while the old master keeps accepting writes; it is demoted only after
//! the switch, by `+convert-to-slave` (spec §7.4, §9.2 #18). Whatever it
//! acknowledged in between, and whatever the replica had not received yet,
//! is lost. Redis 6.2 added `FAILOVER TO <host> <port> [TIMEOUT <ms>]`,
//! which does it right on the master's side: it pauses writes, waits until
//! the target replica has the whole replication stream, then hands the
//! master role over (`PSYNC ... FAILOVER`) and follows the new master.
//!
//! This module drives that from the failover state machine of
//! `failover.rs`: the failover is forced (new epoch, no election) as a
//! plain one; only its promotion step differs. Instead of the `SLAVEOF NO
//! ONE` transaction to the replica, [`MasterCtx::send_failover_to`] sends
//! the old master `FAILOVER TO <replica> TIMEOUT <t>`
//! (`+failover-state-coordinated`). Its reply
//! ([`MasterCtx::on_failover_to_reply`]): an error aborts
//! (`-failover-abort-coordinated <error>`, nothing changed anywhere, and
//! the failover leaves no trace); `+OK` asks the replica's INFO at once,
//! then every [`COORDINATED_POLL`] until it says `role:master`, which
//! confirms the promotion exactly as for a plain failover. The rest is the
//! usual `reconf_slaves` and `+switch-master`; the old master already
//! follows the new one and is listed as its replica by `switch_master`.
//!
//! Everything that can be checked is checked before anything is sent
//! (`MasterCtx::failover_coordinated`): the master reachable, its
//! INFO saying Redis ≥ 6.2, a replica to promote. If the promotion is not
//! seen within `t` + [`COORDINATED_MARGIN`], the failover aborts with
//! `-failover-abort-slave-timeout` and the master gets `FAILOVER ABORT`
//! (Redis gives up by itself at `t`; the abort covers a stuck hand-over).

use super::ctx::MasterCtx;
use super::event::Event;
use super::failover::{Failover, FailoverState, send_rewrite_and_kill};
use super::ids::Addr;
use super::input::RequestId;
use super::instance::{master_ref, replica_ref};
use super::link::{Cmd, command};
use super::select::has_candidate;
use super::sentinel::Sentinel;
use super::timer::{Millis, reached};
use crate::config::MasterConfig;
use crate::errors::{self, NO_SUCH_MASTER};
use crate::resp::Frame;

/// The longest `TIMEOUT` given to `FAILOVER TO`: the master's writes are
/// paused for at most this long, whatever failover-timeout says.
pub(crate) const COORDINATED_MAX_TIMEOUT: Millis = Millis(10_000);

/// How long after the `FAILOVER TO` timeout we still wait for the
/// promotion before `FAILOVER ABORT`: the hand-over (`PSYNC ... FAILOVER`)
/// may finish just after Redis stopped waiting for the replica's offset.
pub(crate) const COORDINATED_MARGIN: Millis = Millis(2_000);

/// INFO period of the replica being promoted by a coordinated failover:
/// the master's writes are paused until we see it, then clients move.
pub(crate) const COORDINATED_POLL: Millis = Millis(100);

/// The oldest Redis with `FAILOVER TO`.
const MIN_VERSION: (u32, u32) = (6, 2);

/// What a coordinated failover adds to a [`Failover`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Coordinated {
    /// The master's `failover_start_time` before this failover: restored
    /// when the master refuses, since nothing happened (no 2 ×
    /// failover-timeout block on a later automatic failover).
    pub previous_start: Option<Millis>,
}

/// The `TIMEOUT` of `FAILOVER TO`: failover-timeout, capped.
pub(crate) fn failover_to_timeout(mc: &MasterConfig) -> Millis {
    Millis(mc.failover_timeout_ms).min(COORDINATED_MAX_TIMEOUT)
}

/// Whether a `redis_version` is at least [`MIN_VERSION`].
fn supports_failover_to(version: &str) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= MIN_VERSION,
        _ => false,
    }
}

impl Failover {
    /// Whether this is a coordinated failover that sent `FAILOVER TO` and
    /// waits for `promoted` to report `role:master` (fast INFO polling).
    pub fn polls_fast(&self, replica: &Addr) -> bool {
        self.coordinated.is_some()
            && matches!(&self.state, FailoverState::WaitPromotion { promoted } if promoted == replica)
    }

    /// How long the current state may last before the failover aborts or
    /// ends for timeout: failover-timeout, except while a coordinated
    /// failover waits for its promotion.
    pub fn state_timeout(&self, mc: &MasterConfig) -> Millis {
        match (&self.coordinated, &self.state) {
            (Some(_), FailoverState::WaitPromotion { .. }) => {
                failover_to_timeout(mc) + COORDINATED_MARGIN
            }
            _ => Millis(mc.failover_timeout_ms),
        }
    }
}

impl Sentinel {
    /// `SENTINEL FAILOVER <name> COORDINATED`: refused, before anything is
    /// sent, unless a coordinated failover can work; then a forced failover
    /// whose promotion is `FAILOVER TO`.
    pub(crate) fn failover_coordinated_command(
        &mut self,
        now: Millis,
        request: RequestId,
        name: &str,
    ) {
        let frame = self.with_master(now, name, |c| c.failover_coordinated());
        self.reply(request, frame.unwrap_or_else(|| Frame::error(NO_SUCH_MASTER)), false);
    }
}

impl MasterCtx<'_> {
    /// `SENTINEL FAILOVER <name> COORDINATED` of this master: the checks,
    /// then the failover; the reply.
    fn failover_coordinated(&mut self) -> Frame {
        let (mc, m) = (&*self.mc, &*self.m);
        let error = if m.failover.is_some() {
            Some(errors::INPROG.to_owned())
        } else if !m.mon.cmd.is_up() || m.mon.sdown_since.is_some() {
            Some(errors::coordinated_unreachable(&mc.name))
        } else if !m.mon.redis_version.as_deref().is_some_and(supports_failover_to) {
            let v = m.mon.redis_version.as_deref().unwrap_or("an unknown version");
            Some(errors::coordinated_too_old(v))
        } else if !has_candidate(mc, m, self.now, self.periods) {
            Some(errors::NOGOODSLAVE.to_owned())
        } else {
            None
        };
        if let Some(text) = error {
            return Frame::error(text);
        }
        let previous_start = m.failover_start_time;
        self.start_failover(true);
        if let Some(f) = self.m.failover.as_mut() {
            f.coordinated = Some(Coordinated { previous_start });
        }
        Frame::ok()
    }

    /// The promotion step of a coordinated failover: `FAILOVER TO <replica>
    /// TIMEOUT <t>` on the master's command link. False while the link is
    /// down.
    pub(crate) fn send_failover_to(&mut self, promoted: &Addr) -> bool {
        let (mc, m) = (&*self.mc, &mut *self.m);
        let (port, timeout) = (promoted.port.to_string(), failover_to_timeout(mc).0.to_string());
        let args = ["TO", promoted.host.as_str(), port.as_str(), "TIMEOUT", timeout.as_str()];
        let cmd = command(&mc.rename_commands, "FAILOVER", &args);
        if !m.mon.cmd.send(self.out, Cmd::FailoverTo, cmd) {
            return false;
        }
        m.mon.handover_sent = true;
        self.event(Event::FailoverStateCoordinated(replica_ref(self.mc, promoted)));
        true
    }

    /// The master's reply to `FAILOVER TO`: an error aborts (nothing was
    /// changed); `+OK` asks the promoted replica's INFO at once.
    pub(crate) fn on_failover_to_reply(&mut self, frame: &Frame) {
        let m = &mut *self.m;
        let Some(f) = m.failover.as_ref().filter(|f| f.coordinated.is_some()) else { return };
        let FailoverState::WaitPromotion { promoted } = &f.state else { return };
        if let Frame::Error(error) = frame {
            let previous = f.coordinated.as_ref().and_then(|c| c.previous_start);
            m.failover = None;
            m.failover_start_time = previous;
            let (master, error) = (master_ref(self.mc), error.clone());
            return self.event(Event::FailoverAbortCoordinated { master, error });
        }
        let Some(r) = m.replicas.get_mut(promoted) else { return };
        r.mon.ask_info(self.out, &self.mc.rename_commands, self.now);
    }

    /// After a coordinated hand-over, on both servers (the promoted replica
    /// and the old master, now its replica): `CONFIG REWRITE`, so that a
    /// restart keeps the new role, and `CLIENT KILL` of normal and pub/sub
    /// clients, so that clients ask the sentinels again (a plain failover's
    /// promotion transaction does the same on the promoted replica;
    /// `FAILOVER TO` itself only disconnects blocked clients).
    pub(crate) fn send_handover_cleanup(&mut self, promoted: &Addr) {
        let (mc, m, out) = (&*self.mc, &mut *self.m, &mut *self.out);
        if let Some(r) = m.replicas.get_mut(promoted) {
            send_rewrite_and_kill(out, mc, &mut r.mon.cmd);
        }
        send_rewrite_and_kill(out, mc, &mut m.mon.cmd);
    }

    /// When a `FAILOVER` seen running on the master is stuck: failover-timeout
    /// after it was first seen, unless a failover of ours runs (ours has its
    /// own bound, [`Failover::state_timeout`]).
    fn stuck_handover_at(&self) -> Option<Millis> {
        if self.m.failover.is_some() {
            return None;
        }
        let (_, since) = self.m.mon.handover.as_ref()?;
        Some(*since + Millis(self.mc.failover_timeout_ms))
    }

    /// The deadline of [`MasterCtx::abort_stuck_handover`]: a past time is
    /// none, as the abort was tried then (it is tried again at the master's
    /// next visit if its link could not take it).
    pub(crate) fn stuck_handover_due(&self) -> Option<Millis> {
        self.stuck_handover_at().filter(|at| *at > self.now)
    }

    /// Ends a stuck `FAILOVER` on the master with `FAILOVER ABORT`: its
    /// writes are paused, and after a forced hand-over to an unreachable
    /// replica it stays so for ever (Valkey 9's sentinel recovers it too).
    /// Asked again after another failover-timeout if it is still there.
    pub(crate) fn abort_stuck_handover(&mut self) {
        if !reached(self.stuck_handover_at(), self.now) {
            return;
        }
        let (mc, m) = (&*self.mc, &mut *self.m);
        let abort = command(&mc.rename_commands, "FAILOVER", &["ABORT"]);
        if !m.mon.cmd.send(self.out, Cmd::Setup, abort) {
            return;
        }
        let Some((state, _)) = m.mon.handover.take() else { return };
        m.mon.handover = Some((state.clone(), self.now));
        let master = master_ref(mc);
        self.event(Event::FailoverAbortStuck { master, state });
    }

    /// A coordinated failover given up after `FAILOVER TO` went out: tell
    /// the master to stop (its reply, an error if it already gave up, is
    /// not read).
    pub(crate) fn send_failover_abort(&mut self) {
        let abort = command(&self.mc.rename_commands, "FAILOVER", &["ABORT"]);
        self.m.mon.cmd.send(self.out, Cmd::Setup, abort);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for (v, ok) in [
            ("6.2.0", true),
            ("6.2.14", true),
            ("7.0.15", true),
            ("10.0.1", true),
            ("255.255.255", true),
            ("6.0.20", false),
            ("5.0.7", false),
            ("6", false),
            ("", false),
            ("x.y", false),
        ] {
            assert_eq!(supports_failover_to(v), ok, "{v}");
        }
    }
}
