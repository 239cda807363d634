//! The invariant checks that need the whole world (every sentinel's disk,
//! the processes, the network): demotion safety, the health of masters,
//! and the per-step call into the [`Checker`](crate::check::Checker).

use rsentinel::core::{Addr, Event};

use crate::check::SentinelState;
use crate::net::NodeId;
use crate::redis::RedisRole;

use super::{Core, World, master_name};

impl<C: Core> World<C> {
    /// Demotion safety (`reconcile.rs`): a conversion never targets the
    /// master of the newest configuration any sentinel holds (on disk: it
    /// is persisted before it is announced), whose acknowledged writes it
    /// would throw away. Every master is looked at: only the one whose
    /// configuration names `addr` as its master can match.
    pub(super) fn check_demotion(&mut self, i: usize, addr: &Addr) {
        for g in 0..self.params.masters {
            let name = master_name(g);
            let newest = self
                .sentinels
                .iter()
                .enumerate()
                .filter_map(|(j, s)| {
                    s.disk.master(&name).map(|m| (m.config_epoch, j, m.addr.clone()))
                })
                .max_by_key(|(epoch, ..)| *epoch);
            if let Some((epoch, j, _)) = newest.filter(|(epoch, _, a)| {
                a == addr
                    && self.sentinels.iter().all(|s| {
                        s.disk
                            .master(&name)
                            .is_none_or(|m| m.config_epoch < *epoch || m.addr == *addr)
                    })
            }) {
                let what = format!(
                    "DEMOTION: S{i} converted {addr}, the master of the newest configuration \
                     of {name} (epoch {epoch:?}, S{j})"
                );
                self.checker.violation(self.now, what);
            }
        }
    }

    /// Whether the master a `+try-failover` is about has been healthy (up,
    /// master, reachable from the sentinel) since the last disturbance.
    pub(super) fn master_healthy_for(&self, i: usize, e: &Event) -> bool {
        let Event::TryFailover(m) = e else { return false };
        self.is_healthy_master(i, &m.addr)
    }

    /// Whether the Redis at `addr` runs, is a master and can be reached by
    /// sentinel `i`.
    pub fn is_healthy_master(&self, i: usize, addr: &Addr) -> bool {
        match self.node_at(addr) {
            Some(NodeId::Redis(r)) => {
                self.is_running(NodeId::Redis(r))
                    && self.redis[r].redis.role == RedisRole::Master
                    && !self.redis[r].redis.loading
                    && self.net.can_talk(NodeId::Sentinel(i), NodeId::Redis(r))
            }
            _ => false,
        }
    }

    pub(super) fn check(&mut self) {
        let mut states = Vec::new();
        for (i, s) in self.sentinels.iter().enumerate() {
            let Some(core) = s.core.as_ref() else { continue };
            let view = core.view();
            states.push(SentinelState {
                i,
                running: !s.proc.paused,
                // A core with an overdue timer has not looked at the clock yet.
                settled: !s.proc.paused && s.deadline().is_none_or(|d| d > self.now),
                healthy: view
                    .masters
                    .iter()
                    .map(|m| self.is_healthy_master(i, &m.instance.addr))
                    .collect(),
                view,
            });
        }
        self.checker.after_step(self.now, &states);
    }
}
