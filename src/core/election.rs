//! EPOCHS AND VOTES: asking peers about a master, reading their answers,
//! and answering their questions, votes included (spec §7.2, §7.3).
//!
//! While a master is SDOWN, [`MasterCtx::ask_peers`] sends every connected
//! peer `SENTINEL is-master-down-by-addr <ip> <port> <current-epoch> *` once
//! per ask period; [`MasterCtx::on_ask_reply`] stores the answer, which
//! counts toward ODOWN until it is 5 ask periods old
//! ([`MasterCtx::expire_peer_reports`]). On the other side,
//! [`Sentinel::is_master_down_by_addr`] answers those questions and, when
//! the request carries a run id instead of `*`, grants at most one vote per
//! epoch ([`MasterCtx::vote_leader`]), persisted before the reply leaves.
//!
//! # The election: safe, and live in the first round
//!
//! Safety is redis-sentinel's, unchanged on the wire: one vote per master
//! and epoch, to the first requester, persisted before the reply; epochs
//! never go backwards; a candidate is elected by the votes of a majority of
//! the sentinels it knows (itself included), and at least the quorum, all
//! given in its own failover's epoch. The candidate's side (`candidate.rs`)
//! adds rules that make the first round elect someone whatever the phase of
//! the sentinels' timers:
//!
//! 1. A candidate asks for votes only in its election's epoch, and counts
//!    only votes of that epoch ([`MasterCtx::ask_peers`], `is_elected`).
//! 2. When the current epoch passes the election's before it is won (a
//!    hello, a vote request, another master's failover), the election moves
//!    to the current epoch and asks again at once: votes of the old epoch
//!    can no longer come, since no sentinel votes in an epoch older than
//!    its current one. Votes are per master, so two masters failing
//!    together are both elected in the newer epoch (`wait_start`).
//! 3. It steps down at once (`-failover-abort-not-elected`) when its own
//!    vote in its election's epoch went to another candidate, which asked
//!    first: that vote already helps the other (`outranked`).
//! 4. A sentinel does not start a failover within the vote desync + 100 ms
//!    of a peer raising its current epoch (a hello, a vote request): the
//!    candidate that raised it is about to ask for our vote (`next_start_at`).
//! 5. The first vote request waits a random 0–99 ms, so that candidates that
//!    start together rarely ask together (`VOTE_REQUEST_DESYNC`); not the
//!    first in the turns of rule 10.
//! 6. When the votes known leave every candidate short even with all the
//!    votes not yet known, nobody can win that epoch: the candidates retry at
//!    once in a new epoch, staggered by the rank of their run ids (100 ms a
//!    rank), at most 3 times while the master stays ODOWN (`split_rank`).
//! 7. The elected leader waits (at most 1 s) for an INFO taken after the
//!    master went down from every reachable replica before choosing one.
//! 8. A voter keeps its vote for a master from other candidates, even in a
//!    newer epoch, while it leads that master's failover itself, and for an
//!    election timeout after it voted for another candidate
//!    (`keeps_vote`): that candidate may have won. Without it, an election
//!    moved on by rule 2 could be won while the first winner is promoting
//!    (seen with 150 masters down at once: 17 masters had two leaders).
//! 9. A failover takes the current epoch when this master had no election
//!    and no configuration in it yet (`failover_epoch` in `candidate.rs`);
//!    only otherwise a new one. Masters failing together then share one
//!    epoch instead of each start raising it and moving every waiting
//!    election on (rule 2).
//! 10. The sentinels take turns to start a master's failover: in an order
//!     of the fleet's run ids that differs per master (`lead_rank` in
//!     `candidate.rs`), each waits 150 ms per sentinel before it that is not
//!     SDOWN, counted from its own ODOWN, and longer when one of those
//!     answers slowly: twice its last round trip beyond 100 ms, at most 1 s
//!     more (`lead_wait`). The first in the order asks at once (no desync,
//!     rule 5); its vote request reaches the others before their turn, and
//!     they vote instead of competing. With many masters failing together
//!     each sentinel leads about its share of them, and the first one's
//!     requests for all of them leave in one step, after one save. (With
//!     150 masters down on two cores, answers took 200–400 ms; without the
//!     slow-peer wait 2–3 sentinels started most masters' failovers, with
//!     it one did.)
//!
//! The race that stalled the lab (issue 8): three sentinels started
//! together reach SDOWN within milliseconds. A starts a failover in epoch 1;
//! B learns epoch 1 from A's hello before its own ODOWN and starts epoch 2.
//! We used to ask in the current epoch, so A asked in epoch 2, got every
//! vote of epoch 2 (B's included, cast during its desync) and was never
//! elected, its failover being epoch 1; B was one vote short; both timed
//! out, and neither could try again for 2 × failover-timeout (2 minutes in
//! the lab). Now B holds off until A's vote request arrives and votes for
//! A (rule 4); if B started anyway, A's election moves to epoch 2 and the
//! first of A and B to ask wins it, the other stepping down (rules 2, 3).
//! Two masters failing together used to fail the same way: the second
//! failover's epoch spent the first's.
//!
//! redis-sentinel in the same race also asks in its current epoch, but it
//! counts the peers' votes of the current epoch: A is elected by votes
//! given in epoch 2 and runs its failover, and publishes its promotion,
//! under epoch 1. A vote of one epoch elects a leader of another, so the
//! one-leader-per-epoch guarantee rests on luck: an epoch-1 leader elected
//! by other votes would promote under the same config epoch. Every lost
//! round costs it 2 × failover-timeout (6 minutes by default, spec §9.2
//! #5–6), it splits when three candidates ask together, and a leader
//! elected within 5 s of a replica's last INFO aborts for want of a good
//! replica. Here every vote counts only in the epoch it was given (the
//! election moves with the epoch instead of borrowing its votes), one of
//! the candidates wins instead of nobody, a certain split costs about a
//! vote request's round trip, and the replica is chosen on fresh INFO. The
//! simulation (`tests/sim/election.rs`) checks DESIGN 7 on every cell of
//! fleet size × network delay × timer phase × failure kind.

use super::ctx::MasterCtx;
use super::event::Event;
use super::ids::{Addr, Epoch, RunId};
use super::input::RequestId;
use super::instance::{Peer, PeerLink, master_ref};
use super::link::{Cmd, command};
use super::sentinel::Sentinel;
use super::timer::{Earliest, Millis, Timer, reached};
use crate::resp::Frame;

/// redis-sentinel's `SENTINEL_MAX_DESYNC`: a vote for another sentinel
/// pushes our own failover start by up to this much.
const MAX_DESYNC_MS: u64 = 1000;

/// When `peer` (on link `pl`) is next asked about a master: while the
/// master is SDOWN, an ask period after the peer's last reply and after our
/// last question (`None`: not SDOWN, or the link cannot take it).
fn ask_due(sdown: bool, ask: Millis, peer: &Peer, pl: &PeerLink) -> Option<Millis> {
    if !sdown || !pl.link.can_queue(pl.users()) {
        return None;
    }
    let reply = peer.last_reply.map_or(Millis::ZERO, |t| t + ask);
    let sent = peer.ask_sent.map_or(Millis::ZERO, |t| t + ask);
    Some(reply.max(sent))
}

/// When a peer's last answer stops counting: 5 ask periods after it
/// (`None`: it says nothing that could expire).
fn report_expiry(peer: &Peer, ask: Millis) -> Option<Millis> {
    if !peer.master_down && peer.leader.is_none() {
        return None;
    }
    peer.last_reply.map(|t| t + Millis(ask.0 * 5))
}

impl MasterCtx<'_> {
    /// Asks every connected peer about the SDOWN master when its
    /// [`ask_due`] is reached, or at once when `force`d (the vote request of
    /// a new election). Once our failover asks for votes the request
    /// carries our run id instead of `*` (spec §7.2 step 1), so every
    /// question is also a vote request.
    pub(crate) fn ask_peers(&mut self, force: bool) {
        let MasterCtx { now, mc, m, config, out, peers, periods, names, myid, .. } = self;
        let (now, sdown) = (*now, m.mon.sdown_since.is_some());
        // A vote request carries the failover's own epoch, never a newer
        // current epoch learned meanwhile: votes granted in another epoch
        // could not elect us (`is_elected`), and would be taken from the
        // candidate of that epoch.
        let s = &config.sentinel;
        let (epoch, runid) = match &m.failover {
            Some(f) if f.asks_votes() => (f.epoch, myid.as_str()),
            _ => (s.current_epoch, "*"),
        };
        let mut args = None;
        for (peer_id, peer) in m.sentinels.iter_mut() {
            let Some(pl) = peers.get_mut(peer_id) else { continue };
            if !ask_due(sdown, periods.ask(), peer, pl).is_some_and(|at| force || at <= now) {
                continue;
            }
            let args = args.get_or_insert_with(|| {
                let asked = names.announce(&mc.addr, s.announce_hostnames);
                let (port, epoch) = (asked.port.to_string(), epoch.to_string());
                let args = ["is-master-down-by-addr", asked.host.as_str(), &port, &epoch, runid];
                command(&mc.rename_commands, "SENTINEL", &args)
            });
            let what = Cmd::AskMasterDown(mc.name.clone(), mc.addr.clone());
            pl.link.send(out, what, args.clone());
            peer.ask_sent = Some(now);
        }
    }

    /// Forgets peer answers older than 5 ask periods ([`report_expiry`]).
    pub(crate) fn expire_peer_reports(&mut self) {
        let (now, ask) = (self.now, self.periods.ask());
        for peer in self.m.sentinels.values_mut() {
            if reached(report_expiry(peer, ask), now) {
                peer.master_down = false;
                peer.leader = None;
                peer.ask_rtt = None;
            }
        }
    }

    /// The deadlines of [`MasterCtx::ask_peers`] and
    /// [`MasterCtx::expire_peer_reports`].
    pub(crate) fn peer_report_deadlines(&self, e: &mut Earliest) {
        let (ask, sdown) = (self.periods.ask(), self.m.mon.sdown_since.is_some());
        for (runid, peer) in &self.m.sentinels {
            e.arm(Timer::AskExpiry, report_expiry(peer, ask));
            if let Some(pl) = self.peers.get(runid) {
                e.arm(Timer::AskPeers, ask_due(sdown, ask, peer, pl));
            }
        }
    }

    /// A peer's reply `[down, leader, leader-epoch]` about the master at
    /// `asked`; anything else is ignored, and so is a reply about an address
    /// the master no longer has: a question asked before a switch must not
    /// count as a report about the new master (found by the simulation).
    pub(crate) fn on_ask_reply(&mut self, asked: &Addr, runid: &RunId, frame: &Frame) {
        if self.mc.addr != *asked {
            return;
        }
        let Frame::Array(items) = frame else { return };
        let [Frame::Integer(down), leader, Frame::Integer(epoch)] = &items[..] else { return };
        let Some(leader) = leader.as_str().filter(|_| !matches!(leader, Frame::Verbatim(_))) else {
            return;
        };
        let Some(peer) = self.m.sentinels.get_mut(runid) else { return };
        peer.last_reply = Some(self.now);
        peer.ask_rtt = peer.ask_sent.map(|sent| self.now - sent);
        peer.master_down = *down == 1;
        if leader != "*" {
            // A vote in a negative or absurd epoch is no vote.
            let Some(epoch) = Epoch::from_wire(*epoch) else {
                tracing::warn!(peer = %runid, leader, epoch, "vote with an absurd epoch ignored");
                return;
            };
            if peer.leader.as_ref().is_none_or(|(_, e)| *e != epoch) {
                tracing::debug!(peer = %runid, leader, %epoch, "peer voted");
            }
            peer.leader = Some((RunId::from(leader.to_owned()), epoch));
        }
    }

    /// Grants our vote for this master in `req_epoch` to `req_runid` if we
    /// have not voted in that epoch yet (§7.3). Adopting a larger epoch and
    /// the vote are persisted in one `Persist`, before their events and
    /// before the caller's reply. Returns our vote, its epoch, and whether
    /// a `Persist` was queued.
    pub(crate) fn vote_leader(
        &mut self,
        req_epoch: Epoch,
        req_runid: RunId,
    ) -> (Option<RunId>, Epoch, bool) {
        let now = self.now;
        let mref = master_ref(self.mc);
        let mut events = Vec::new();
        if req_epoch > self.config.sentinel.current_epoch {
            self.config.sentinel.current_epoch = req_epoch;
            *self.epoch_raised_at = Some(now);
            events.push(Event::NewEpoch { master: mref.clone(), epoch: req_epoch });
        }
        let current = self.config.sentinel.current_epoch;
        if self.mc.leader_epoch < req_epoch && current <= req_epoch && !self.keeps_vote(&req_runid)
        {
            let for_other = &req_runid != self.myid();
            let delay = if for_other { self.rng.below(MAX_DESYNC_MS) } else { 0 };
            self.mc.leader_epoch = current;
            self.m.leader = Some(req_runid.clone());
            if for_other {
                self.m.failover_start_time = Some(now + Millis(delay));
                self.m.fast_retry_at = None;
                self.m.voted_for_other_at = Some(now);
            }
            events.push(Event::VoteForLeader { master: mref, leader: req_runid, epoch: current });
        }
        let persisted = !events.is_empty();
        if persisted {
            self.persist();
        }
        for e in events {
            self.event(e);
        }
        (self.m.leader.clone(), self.mc.leader_epoch, persisted)
    }
}

impl MasterCtx<'_> {
    /// Whether we refuse our vote for this master to `candidate` even in a
    /// newer epoch (rule 8 in the module doc): we lead this master's
    /// failover past its election, or we gave our vote to another candidate
    /// less than an election timeout ago. That candidate may have won and
    /// be replacing the master right now; granting a newer epoch to someone
    /// else would elect a second leader, who would promote a replica of its
    /// own. redis-sentinel grants it. Refusing a vote is always safe; it
    /// delays a failover only when the candidate we voted for was elected
    /// and then failed, by at most an election timeout.
    fn keeps_vote(&self, candidate: &RunId) -> bool {
        let me = self.myid();
        if candidate == me {
            return false;
        }
        if self.m.failover.as_ref().is_some_and(|f| !f.electing()) {
            return true;
        }
        let window = self.periods.election_timeout().min(Millis(self.mc.failover_timeout_ms));
        match (&self.m.leader, self.m.voted_for_other_at) {
            (Some(voted), Some(at)) => voted != candidate && voted != me && self.now < at + window,
            _ => false,
        }
    }
}

impl Sentinel {
    /// `SENTINEL IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>`.
    pub(crate) fn is_master_down_by_addr(
        &mut self,
        now: Millis,
        request: RequestId,
        ip: &str,
        port: i64,
        req_epoch: i64,
        runid: String,
    ) {
        // The master is looked up by address across all masters, first match
        // (by name: a stable order where redis-sentinel uses hash order).
        let found = self.masters.records().find(|(mc, _)| {
            i64::from(mc.addr.port) == port && self.names.same_host(&mc.addr.host, ip)
        });
        let down =
            found.is_some_and(|(_, m)| self.tilt_since.is_none() && m.mon.sdown_since.is_some());
        let name = found.map(|(mc, _)| mc.name.clone());
        let (mut leader, mut leader_epoch, mut persisted) = (None, Epoch::ZERO, false);
        if let Some(name) = &name
            && runid != "*"
        {
            // A negative or absurd epoch is refused as a vote request rather
            // than read as a huge unsigned one (redis-sentinel's weakness
            // §9.2 #8): the reply is as for an epoch we already voted in.
            let req_epoch = Epoch::from_wire(req_epoch).unwrap_or_else(|| {
                tracing::warn!(req_epoch, runid, "vote request with an absurd epoch refused");
                Epoch::ZERO
            });
            let vote =
                self.with_master(now, name, |c| c.vote_leader(req_epoch, RunId::from(runid)));
            (leader, leader_epoch, persisted) = vote.unwrap_or((None, Epoch::ZERO, false));
        }
        let leader = leader.map_or_else(|| "*".to_owned(), |l| l.as_str().to_owned());
        let frame = Frame::Array(vec![
            Frame::Integer(i64::from(down)),
            Frame::bulk(leader),
            Frame::Integer(leader_epoch.as_u64() as i64),
        ]);
        self.reply(request, frame, persisted);
    }
}
