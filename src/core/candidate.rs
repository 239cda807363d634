//! THE CANDIDATE: when a failover of a master starts, in which epoch and
//! turn, and how its election (`wait_start`, the first state of
//! `failover.rs`'s machine) is decided: asking once the desync passed,
//! moving on to a newer epoch, stepping down, retrying a certain split,
//! counting the votes. Rules 1–6, 9 and 10 of `election.rs`, which holds the
//! voter's side and the reasons for each rule.

use std::collections::BTreeMap;

use super::command::SIMFAILURE_CRASH_AFTER_ELECTION;
use super::ctx::MasterCtx;
use super::event::Event;
use super::failover::{Abort, Failover, FailoverState};
use super::ids::{Epoch, RunId};
use super::instance::{Peer, master_ref};
use super::output::Output;
use super::quorum::majority;
use super::timer::Millis;

/// The vote request of a new election goes out after a random delay in
/// `0..VOTE_REQUEST_DESYNC` (seeded `Rng`), so that two sentinels reaching
/// ODOWN at the same moment rarely ask at the same moment: the later one
/// grants the earlier one's request while it waits, and cannot win.
/// redis-sentinel only has 0–999 ms added to its timeouts, not to the
/// request. Small, as it adds to every failover's latency; it must be
/// large against the one-way peer delay, as splits happen when candidates
/// ask within about one delay of each other.
///
/// 100 ms, from a simulation sweep (now `tests/sim/election.rs`,
/// `SIM_ELECTION_SWEEP=1 SIM_DESYNC_VALUES=...`), made before the
/// step-down, hold-off and split-retry rules: master killed, all sentinels
/// ODOWN within ms, 500 seeds per cell, % of first elections that elected
/// a leader (3 / 5 sentinels) by one-way delay:
///
/// | desync | 0–1 ms      | 0–5 ms      | 0–20 ms     |
/// |--------|-------------|-------------|-------------|
/// | 0      | 99.0 / 96.0 | 99.0 / 92.0 | 98.8 / 93.4 |
/// | 5      | 99.8 / 99.6 | 99.4 / 96.6 | 98.8 / 93.2 |
/// | 10     | 100 / 100   | 98.8 / 97.6 | 98.2 / 93.4 |
/// | 20     | 100 / 100   | 100 / 99.8  | 98.6 / 93.2 |
/// | 50     | 100 / 100   | 100 / 99.8  | 99.6 / 97.2 |
/// | 100    | 100 / 100   | 100 / 99.8  | 99.6 / 98.8 |
/// | 200    | 100 / 100   | 100 / 100   | 99.8 / 99.4 |
///
/// 20 ms is the smallest value near 100 % up to 5 ms delays, 50 the
/// smallest that helps at the harness's worst 20 ms; we take 100, because a
/// lost first round costs 2 × failover-timeout (6 minutes with the default)
/// while 100 ms costs ~15–40 ms of median time to switch (the failover
/// benchmark in the README was measured with it).
/// Changeable for tests only (`Sentinel::set_vote_desync`).
pub(crate) const VOTE_REQUEST_DESYNC: Millis = Millis(100);

/// How long after a peer raised our current epoch, beyond the vote desync,
/// we hold off starting a failover (`next_start_at`): room for the vote
/// request of the candidate that raised it to arrive.
const EPOCH_HOLD: Millis = Millis(100);

/// The turn of each sentinel ranked before us for a master's failover
/// (`lead_rank`): we start ours this much later per such sentinel. It must
/// cover the first one's vote request reaching us, which under load (150
/// masters failing at once on two cores) takes tens of ms; and it adds to
/// the failover's time whenever the first in the order reaches ODOWN later
/// than we do. From the election sweep (150 seeds a cell, 4800 worlds):
/// with 150 ms and the first asking at once, every world elected in the
/// first round, votes were contested in at most 2 % of a cell (up to 37 %
/// without turns), and the median switch came 20–75 ms later than without
/// turns; 200 ms broke DESIGN 7's bound (down-after + 1.5 s) in two
/// seeds of five sentinels with timers out of phase, and 100 ms left
/// competing elections for a third of the masters in one of two real runs
/// of `bench/massfail.py` at 150 masters.
const LEAD_STAGGER: Millis = Millis(150);

/// The round trip to a peer before us in the turns that [`LEAD_STAGGER`]
/// already covers (twice it, rather): a peer slower than that, by its last
/// answer to our question about the master, makes us wait the excess too
/// (`lead_wait`), at most [`SLOW_PEER_CAP`] more. The first in the order
/// reaches ODOWN when its peers' answers reach it, and its vote request
/// then takes as long to reach us: with 150 masters failing at once on two
/// cores, answers took 200–400 ms, the first in the order reached ODOWN
/// 150 ms after the second, and two or three candidates split most
/// elections. The simulation's trips (at most 20 ms each way) stay below it.
const SLOW_PEER_SLACK: Millis = Millis(100);

/// The most a slow peer before us adds to our wait (`lead_wait`): a peer
/// slower than that is treated as this slow, so a master's failover is
/// never held back by more than this beyond the turns.
const SLOW_PEER_CAP: Millis = Millis(1000);

/// After a certain split vote, the candidate of rank k (by run id) retries
/// k × this later (`split_rank`): long against a vote request's trip.
const SPLIT_RETRY_STAGGER: Millis = Millis(100);

/// Fast retries after split votes while a master stays ODOWN; then the
/// 2 × failover-timeout rule again.
const MAX_FAST_RETRIES: u32 = 3;

/// Where a sentinel stands in the order of candidates for a master's
/// failover: FNV-1a over its run id, a zero byte and the master's name. A
/// fixed function (not the standard library's hasher, which may change
/// between releases), so that every sentinel, whatever its version,
/// computes the same order.
fn lead_order(runid: &RunId, master: &str) -> u64 {
    let bytes = runid.as_str().bytes().chain([0]).chain(master.bytes());
    bytes.fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

impl MasterCtx<'_> {
    /// When a failover may start: the master ODOWN for us, none running,
    /// [`MasterCtx::next_start_at`] passed, and our turn come
    /// ([`MasterCtx::lead_wait`] after our ODOWN) (`None`: it cannot start).
    pub(super) fn start_due(&self) -> Option<Millis> {
        if self.m.failover.is_some() {
            return None;
        }
        let odown = self.m.odown_since?;
        let turn = odown + self.lead_wait();
        Some(self.next_start_at().unwrap_or(Millis::ZERO).max(turn))
    }

    /// How long after our ODOWN our turn comes: [`LEAD_STAGGER`] per peer
    /// before us ([`MasterCtx::lead_rank`]), and, when one of them answers
    /// slowly, twice its last round trip beyond [`SLOW_PEER_SLACK`], at
    /// most [`SLOW_PEER_CAP`]: its vote request is as slow to arrive.
    fn lead_wait(&self) -> Millis {
        let (mut rank, mut slowest) = (0, Millis::ZERO);
        for p in self.peers_before_us() {
            rank += 1;
            slowest = slowest.max(p.ask_rtt.unwrap_or(Millis::ZERO));
        }
        let slow = (slowest + slowest - SLOW_PEER_SLACK).min(SLOW_PEER_CAP);
        Millis(rank * LEAD_STAGGER.0) + slow
    }

    /// Our rank among the sentinels that may lead this master's failover
    /// (rule 10 in `election.rs`): how many known peers not SDOWN come
    /// before us in [`lead_order`]. Every sentinel that knows the same peers
    /// computes the same order, and the order differs from master to
    /// master, so that when many masters fail together each sentinel leads
    /// about its share, and the others vote instead of competing: all
    /// three starting at once, with 150 masters down, made 3 to 4 elections
    /// per master, most of them stepping down.
    fn lead_rank(&self) -> u64 {
        self.peers_before_us().count() as u64
    }

    /// The known peers not SDOWN that come before us in [`lead_order`].
    fn peers_before_us(&self) -> impl Iterator<Item = &Peer> {
        let me = self.myid();
        let mine = (lead_order(me, &self.mc.name), me);
        self.m.sentinels.iter().filter_map(move |(id, p)| {
            (p.sdown_since.is_none() && (lead_order(id, &self.mc.name), id) < mine).then_some(&**p)
        })
    }

    /// When a failover may start (`None`: now). 2 × failover-timeout after
    /// our last start or our vote for another sentinel (redis-sentinel's
    /// rule), or sooner after a certain split vote (`fast_retry_at`); and
    /// never within [`EPOCH_HOLD`] + the vote desync of a peer raising our
    /// current epoch: that peer may be a candidate whose vote request is on
    /// its way, and starting a newer epoch would make two candidates (the
    /// lab's split vote, issue 8; with different epochs, even two leaders).
    fn next_start_at(&self) -> Option<Millis> {
        let (mc, m) = (&*self.mc, &*self.m);
        let blocked = m
            .fast_retry_at
            .or_else(|| m.failover_start_time.map(|t| t + Millis(2 * mc.failover_timeout_ms)));
        let hold = self.epoch_raised_at.map(|t| t + EPOCH_HOLD + self.periods.vote_desync());
        blocked.max(hold)
    }

    /// A failover in [`MasterCtx::failover_epoch`]; a raised current epoch
    /// is persisted, then `+new-epoch`; then `+try-failover`.
    pub(crate) fn start_failover(&mut self, forced: bool) {
        let now = self.now;
        let epoch = self.failover_epoch(forced);
        let raised = epoch > self.config.sentinel.current_epoch;
        self.config.sentinel.current_epoch = epoch;
        let first = self.lead_rank() == 0;
        let m = &mut *self.m;
        // Alone (no peer known), nobody can compete: no desync. After a
        // split, the retries are staggered by rank instead (`split_rank`).
        // First in the turns (`lead_rank`), the others wait for our
        // request: asking at once also lets the vote requests of masters
        // failing together leave in one step, after one save of our votes
        // (with a desync each, 150 masters made 150 saves in a row, and the
        // last requests arrived after the others' turns).
        let alone = forced || first || m.sentinels.is_empty() || m.fast_retry_at.take().is_some();
        let delay = if alone { 0 } else { self.rng.below(self.periods.vote_desync().0.max(1)) };
        m.failover_start_time = Some(now);
        m.failover = Some(Failover {
            epoch,
            forced,
            started: now,
            state_since: now,
            state: FailoverState::WaitStart { ask_at: now + Millis(delay), asked: false },
            coordinated: None,
        });
        let mref = master_ref(self.mc);
        if raised {
            self.persist();
            self.event(Event::NewEpoch { master: mref.clone(), epoch });
        }
        self.event(Event::TryFailover(mref));
        // Fresh replica INFO for `select_slave`, on its way during the election.
        self.refresh_replica_info();
    }

    /// The epoch of a failover starting now: the current epoch when this
    /// master has had no election in it (our vote for it is older) and its
    /// configuration is older, else a new one (redis-sentinel always takes
    /// a new one). The current epoch is shared by all masters while votes
    /// and configuration epochs are per master, so an epoch raised by
    /// another master's failover is still free for this one. When many
    /// masters fail together (a host with several of them dies), their
    /// elections then share one epoch instead of each start raising it
    /// and every waiting election moving on to it, asking again (rule 2
    /// in `election.rs`): with 150 masters down, that churn made hundreds
    /// of epochs and left masters without a leader for minutes. Safe: a
    /// leader still needs a majority of votes for this master in this
    /// epoch, one per voter, and the promotion's configuration epoch is
    /// newer than the one it replaces. A forced failover has no election
    /// to rely on, and always takes a new epoch.
    fn failover_epoch(&self, forced: bool) -> Epoch {
        let current = self.config.sentinel.current_epoch;
        let free = self.mc.leader_epoch < current && self.mc.config_epoch < current;
        if forced || !free { current.next() } else { current }
    }

    /// `wait_start`: move to a newer current epoch, or step down if another
    /// candidate has our vote; vote and ask once the desync passed; then
    /// count.
    pub(super) fn wait_start(&mut self) -> bool {
        let (now, current) = (self.now, self.config.sentinel.current_epoch);
        let Some(f) = self.m.failover.as_mut() else { return false };
        let FailoverState::WaitStart { ask_at, asked } = &mut f.state else { return false };
        if !f.forced && current > f.epoch {
            // Our epoch is spent: votes of it no longer come (a voter refuses
            // an epoch older than its current one), and the newer epoch
            // belongs to every master (another master's failover, a hello).
            // Run this election in it; already asking, ask again at once.
            tracing::debug!(master = self.mc.name, from = %f.epoch, to = %current, "election moves on");
            f.epoch = current;
            if *asked {
                (*ask_at, *asked) = (now, false);
            }
        }
        let (forced, epoch, ask_at, asked) = (f.forced, f.epoch, *ask_at, *asked);
        if !forced && self.outranked(epoch) {
            tracing::debug!(master = self.mc.name, %epoch, "stepping down for another candidate");
            self.abort(Abort::NotElected);
            return false;
        }
        if !asked {
            if now < ask_at {
                return false;
            }
            let myid = self.myid().clone();
            self.vote_leader(epoch, myid);
            if let Some(f) = self.m.failover.as_mut() {
                f.state = FailoverState::WaitStart { ask_at, asked: true };
            }
            if !forced {
                self.ask_peers(true);
            }
        }
        if forced || self.is_elected(epoch) {
            let mref = master_ref(self.mc);
            self.event(Event::ElectedLeader(mref.clone()));
            if self.simulate_failure_flags & SIMFAILURE_CRASH_AFTER_ELECTION != 0 {
                self.out.push(Output::Exit(99));
                return false;
            }
            self.event(Event::FailoverStateSelectReplica(mref));
            self.enter(FailoverState::SelectReplica);
            return true;
        }
        if let Some(rank) = self.split_rank(epoch) {
            let m = &mut *self.m;
            if m.fast_retries < MAX_FAST_RETRIES {
                m.fast_retries += 1;
                m.fast_retry_at = Some(now + Millis(SPLIT_RETRY_STAGGER.0 * rank as u64));
            }
            tracing::debug!(master = self.mc.name, %epoch, rank, "split vote: nobody can win");
            self.abort(Abort::NotElected);
            return false;
        }
        if self.state_timed_out() {
            self.abort(Abort::NotElected);
        }
        false
    }

    /// Whether another candidate has priority over our election in
    /// `epoch` (the current one: `wait_start` moved the election there):
    /// our own vote for this master in it went to that candidate, which
    /// asked first. We step down; our vote already helps it.
    fn outranked(&self, epoch: Epoch) -> bool {
        self.mc.leader_epoch == epoch && self.m.leader.as_ref().is_some_and(|l| l != self.myid())
    }

    /// If nobody can win `epoch` any more (the votes we know of leave every
    /// candidate short of a majority or the quorum even with every vote we
    /// do not know), our rank among the candidates that voted for
    /// themselves, by run id. Retrying at once, staggered by that rank, is
    /// safe (no leader exists in `epoch`) and replaces the 2 ×
    /// failover-timeout wait: rank 0 asks first and the others, still
    /// waiting, vote for it.
    fn split_rank(&self, epoch: Epoch) -> Option<usize> {
        let (mc, m, me) = (&*self.mc, &*self.m, self.myid());
        let mut votes: BTreeMap<&RunId, usize> = BTreeMap::new();
        let mut candidates = Vec::new();
        let mut known = 0;
        if mc.leader_epoch == epoch
            && let Some(leader) = &m.leader
        {
            *votes.entry(leader).or_default() += 1;
            known += 1;
            if leader == me {
                candidates.push(me);
            }
        }
        for (runid, p) in &m.sentinels {
            let Some((leader, _)) = p.leader.as_ref().filter(|(_, e)| *e == epoch) else {
                continue;
            };
            *votes.entry(leader).or_default() += 1;
            known += 1;
            if leader == runid {
                candidates.push(runid);
            }
        }
        let voters = m.sentinels.len() + 1;
        let needed = majority(voters).max(mc.quorum as usize);
        let best = votes.values().copied().max().unwrap_or(0);
        if best + (voters - known) >= needed {
            return None;
        }
        candidates.sort();
        candidates.iter().position(|c| *c == me)
    }

    /// Whether we hold votes from a majority of the known sentinels (us
    /// included) and at least the quorum, in `epoch`, and no newer epoch
    /// began meanwhile (spec §7.3 counting).
    fn is_elected(&self, epoch: Epoch) -> bool {
        let (mc, m, me) = (&*self.mc, &*self.m, self.myid());
        if self.config.sentinel.current_epoch != epoch {
            return false;
        }
        let own = usize::from(m.leader.as_ref() == Some(me) && mc.leader_epoch == epoch);
        let peers = m
            .sentinels
            .values()
            .filter(|p| p.leader.as_ref().is_some_and(|(r, e)| r == me && *e == epoch))
            .count();
        let votes = own + peers;
        votes >= majority(m.sentinels.len() + 1) && votes >= mc.quorum as usize
    }
}
