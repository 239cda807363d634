//! Faults: applying a scheduled [`Fault`], and the start, kill and resume
//! of processes.

use crate::net::{ConnId, NodeId};

use super::{ConnState, Core, Fault, World};

impl<C: Core> World<C> {
    /// Applies a fault now.
    pub fn apply(&mut self, f: Fault) {
        self.log("world", format_args!("fault {f:?}"));
        self.checker.disturbed(self.now);
        match f {
            Fault::Kill(n) => self.kill(n),
            Fault::Pause(n) => {
                if self.proc(n).alive {
                    self.proc_mut(n).paused = true;
                }
            }
            Fault::Resume(n) => self.resume(n),
            Fault::Revive(n) => {
                if self.proc(n).paused {
                    self.resume(n);
                } else if !self.proc(n).alive {
                    self.start(n);
                }
            }
            Fault::Restart(n) => {
                if self.proc(n).alive {
                    self.kill(n);
                }
                self.start(n);
            }
            Fault::Partition(sides) => {
                self.net.partition(&sides);
                self.reset_reconnected();
            }
            Fault::Heal => {
                self.net.heal();
                self.reset_reconnected();
            }
            Fault::Loss(ppm) => {
                self.net.config.loss_ppm = ppm;
                self.checker.set_lossy(ppm > 0);
            }
        }
    }

    /// Severed connections whose ends can talk again get reset: their
    /// stream lost messages, so it cannot resume.
    pub(super) fn reset_reconnected(&mut self) {
        let severed: Vec<ConnId> = (0..self.conns.len() as u64)
            .map(ConnId)
            .filter(|&id| {
                let c = self.conn(id);
                c.state == ConnState::Severed
                    && self.net.can_talk(NodeId::Sentinel(c.owner), c.target)
            })
            .collect();
        for id in severed {
            self.reset(id, "connection reset by peer");
        }
    }

    pub(super) fn start(&mut self, n: NodeId) {
        match n {
            NodeId::Sentinel(i) => self.start_sentinel(i),
            NodeId::Redis(r) => {
                let run_id = self.rng.hex40();
                let node = &mut self.redis[r];
                node.proc.alive = true;
                node.proc.paused = false;
                node.redis.restart(run_id, self.now);
            }
        }
    }

    pub(super) fn kill(&mut self, n: NodeId) {
        if !self.proc(n).alive {
            return;
        }
        let p = self.proc_mut(n);
        p.alive = false;
        p.paused = false;
        p.inc += 1;
        p.held.clear();
        // Connections it served break; the owners hear of it if they can.
        let served: Vec<ConnId> = (0..self.conns.len() as u64)
            .map(ConnId)
            .filter(|&id| {
                let c = self.conn(id);
                c.target == n && matches!(c.state, ConnState::Up | ConnState::Connecting)
            })
            .collect();
        for id in served {
            if self.conn(id).state == ConnState::Connecting {
                // The SYN is in flight: it will find the process dead.
                continue;
            }
            self.reset(id, "connection reset by peer (killed)");
        }
        if let NodeId::Sentinel(i) = n {
            let s = &mut self.sentinels[i];
            s.core = None;
            s.requests.clear();
            let links: Vec<ConnId> = std::mem::take(&mut s.links).into_values().collect();
            for id in links {
                self.close(id);
            }
        }
    }

    pub(super) fn resume(&mut self, n: NodeId) {
        if !self.proc(n).paused {
            return;
        }
        self.proc_mut(n).paused = false;
        let held = std::mem::take(&mut self.proc_mut(n).held);
        for d in held {
            if self.proc(n).paused || !self.proc(n).alive {
                break;
            }
            self.deliver(d);
        }
    }
}
