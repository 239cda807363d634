//! The network side of the world: connections, deliveries at their
//! target and back at their owner, replies, closes and resets.

use rsentinel::core::{Input, Millis, Tag};
use rsentinel::resp::Frame;

use crate::net::{ConnId, Dir, NodeId};

use super::{CONNECT_TIMEOUT_MS, Conn, ConnState, Core, Delivery, World};

impl<C: Core> World<C> {
    pub(super) fn conn(&self, id: ConnId) -> &Conn {
        &self.conns[id.0 as usize]
    }

    /// Whether the endpoint a delivery is for still is the process the
    /// connection was made with.
    pub(super) fn same_life(&self, id: ConnId, at_owner: bool) -> bool {
        let c = self.conn(id);
        let (node, inc) = if at_owner {
            (NodeId::Sentinel(c.owner), c.owner_inc)
        } else {
            (c.target, c.target_inc)
        };
        let p = self.proc(node);
        p.alive && p.inc == inc
    }

    pub(super) fn deliver(&mut self, d: Delivery) {
        let (id, at_owner) = match &d {
            Delivery::Syn(id) | Delivery::Request(id, ..) => (*id, false),
            Delivery::Connected(id)
            | Delivery::Down(id, _)
            | Delivery::Reply(id, ..)
            | Delivery::Message(id, ..) => (*id, true),
        };
        let c = self.conn(id).clone();
        let owner = NodeId::Sentinel(c.owner);
        let dest = if at_owner { owner } else { c.target };
        if let Delivery::Syn(_) = d {
            // The kernel answers a SYN, even for a stopped process.
            if c.state != ConnState::Connecting {
                return;
            }
            if !self.net.can_talk(owner, c.target) {
                self.conns[id.0 as usize].state = ConnState::Closed;
                let at = self.now + Millis(CONNECT_TIMEOUT_MS);
                self.net.push(at, Delivery::Down(id, "connection timed out".into()));
            } else if !self.same_life(id, false) {
                self.conns[id.0 as usize].state = ConnState::Closed;
                self.net.send(
                    self.now,
                    id,
                    Dir::ToOwner,
                    Delivery::Down(id, "connection refused".into()),
                );
            } else {
                self.conns[id.0 as usize].state = ConnState::Up;
                if let NodeId::Redis(r) = c.target {
                    self.redis[r].redis.accept(id);
                }
                self.net.send(self.now, id, Dir::ToOwner, Delivery::Connected(id));
            }
            return;
        }
        if !self.same_life(id, at_owner) {
            return;
        }
        let traverses = !matches!(d, Delivery::Down(..));
        if traverses {
            if c.state != ConnState::Up {
                return;
            }
            if !self.net.can_talk(owner, c.target) {
                self.conns[id.0 as usize].state = ConnState::Severed;
                return;
            }
        }
        if self.proc(dest).paused {
            self.proc_mut(dest).held.push_back(d);
            return;
        }
        let i = c.owner;
        match d {
            Delivery::Connected(_) => {
                let local_addr = Some(self.sentinels[i].addr.clone());
                // Simulated instances are known by IP: there is no name to learn.
                self.input(i, Input::LinkUp { link: c.link, local_addr, remote_addr: None });
            }
            Delivery::Down(_, reason) => {
                if self.sentinels[i].links.get(&c.link) == Some(&id) {
                    self.sentinels[i].links.remove(&c.link);
                    self.input(i, Input::LinkDown { link: c.link, reason });
                }
            }
            Delivery::Reply(_, tag, frame) => {
                self.input(i, Input::Reply { link: c.link, tag, frame })
            }
            Delivery::Message(_, channel, payload) => {
                self.input(i, Input::Message { link: c.link, channel, payload })
            }
            Delivery::Request(_, tag, args) => match c.target {
                NodeId::Redis(r) => self.redis_command(r, id, tag, args),
                NodeId::Sentinel(j) => self.sentinel_command(j, id, tag, args),
            },
            Delivery::Syn(_) => unreachable!("handled above"),
        }
    }

    /// Sends a reply back on a connection, if it still carries traffic.
    pub(super) fn reply(&mut self, id: ConnId, tag: Tag, frame: Frame) {
        if self.conn(id).state != ConnState::Up {
            return;
        }
        if self.net.roll_loss() {
            self.reset(id, "connection reset by peer (loss)");
            return;
        }
        self.net.send(self.now, id, Dir::ToOwner, Delivery::Reply(id, tag, frame));
    }

    /// Closes a connection silently (owner's `Disconnect`, owner's death).
    pub(super) fn close(&mut self, id: ConnId) {
        let c = &mut self.conns[id.0 as usize];
        c.state = ConnState::Closed;
        if let NodeId::Redis(r) = c.target {
            self.redis[r].redis.drop_client(id);
        }
        self.net.forget(id);
    }

    /// Breaks a connection from the server side: the owner gets `LinkDown`
    /// if the reset can reach it, else the connection just goes silent.
    pub(super) fn reset(&mut self, id: ConnId, reason: &str) {
        let c = self.conn(id).clone();
        if matches!(c.state, ConnState::Closed) {
            return;
        }
        if c.state != ConnState::Severed && !self.net.can_talk(NodeId::Sentinel(c.owner), c.target)
        {
            self.conns[id.0 as usize].state = ConnState::Severed;
            return;
        }
        self.close(id);
        self.net.send(self.now, id, Dir::ToOwner, Delivery::Down(id, reason.to_owned()));
    }
}
