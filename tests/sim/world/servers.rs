//! What the processes answer: Redis servers (commands, pub/sub, kills),
//! peer sentinels (the shell's direct answers, then the core's through
//! `Input::Admin`), and replication between Redis servers.

use bytes::Bytes;
use rsentinel::core::{Addr, AdminCommand, Input, RequestId, Tag};
use rsentinel::resp::Frame;

use crate::net::{ConnId, Dir, NodeId};
use crate::redis::RedisRole;

use super::{ConnState, Core, Delivery, World, redis_addr};

impl<C: Core> World<C> {
    /// Replicas attached to Redis `r` now: (address, offset).
    pub(super) fn attached(&self, r: usize) -> Vec<(Addr, u64)> {
        let me = redis_addr(r);
        self.redis
            .iter()
            .filter(|n| {
                n.proc.alive && n.redis.link_up && n.redis.role == RedisRole::Replica(me.clone())
            })
            .map(|n| (n.redis.addr.clone(), n.redis.offset))
            .collect()
    }

    pub(super) fn redis_command(&mut self, r: usize, id: ConnId, tag: Tag, args: Vec<Bytes>) {
        let replicas = self.attached(r);
        let role_before = self.redis[r].redis.role.clone();
        let frame = self.redis[r].redis.handle(self.now, id, &args, &replicas);
        self.reply(id, tag, frame);
        let owner = self.conn(id).owner;
        for line in std::mem::take(&mut self.redis[r].redis.log) {
            self.log(NodeId::Redis(r), format_args!("{line} (from S{owner})"));
        }
        if self.redis[r].redis.role != role_before {
            self.checker.disturbed(self.now);
        }
        for victim in self.redis[r].redis.take_killed() {
            self.reset(victim, "connection killed (CLIENT KILL)");
        }
        for (channel, payload) in self.redis[r].redis.take_published() {
            for sub in self.redis[r].redis.subscribers(&channel) {
                if self.conn(sub).state == ConnState::Up {
                    let m = Delivery::Message(sub, channel.clone(), payload.clone());
                    self.net.send(self.now, sub, Dir::ToOwner, m);
                }
            }
        }
    }

    pub(super) fn sentinel_command(&mut self, j: usize, id: ConnId, tag: Tag, args: Vec<Bytes>) {
        let name = args
            .first()
            .map(|a| String::from_utf8_lossy(a).to_ascii_uppercase())
            .unwrap_or_default();
        // What the shell answers without asking the core.
        let direct = match name.as_str() {
            "PING" => Some(Frame::Simple("PONG".into())),
            "AUTH" | "CLIENT" => Some(Frame::ok()),
            _ => None,
        };
        if let Some(frame) = direct {
            self.reply(id, tag, frame);
            return;
        }
        // As the server: what the parser refuses never reaches the core.
        let command = match AdminCommand::parse(&args) {
            Ok(command) => command,
            Err(frame) => return self.reply(id, tag, frame),
        };
        let s = &mut self.sentinels[j];
        s.next_request += 1;
        let request = RequestId(s.next_request);
        s.requests.insert(request, (id, tag));
        self.input(j, Input::Admin { request, command });
    }

    /// Replication: masters' offsets grow with time, linked replicas catch up.
    pub(super) fn replicate(&mut self) {
        let dt = (self.now - self.last_repl).as_u64();
        self.last_repl = self.now;
        for n in &mut self.redis {
            if n.proc.alive && !n.proc.paused && n.redis.role == RedisRole::Master {
                n.redis.offset += dt;
            }
        }
        for r in 0..self.redis.len() {
            let RedisRole::Replica(m) = self.redis[r].redis.role.clone() else { continue };
            if !self.is_running(NodeId::Redis(r)) {
                continue;
            }
            let upstream = match self.node_at(&m) {
                Some(NodeId::Redis(u)) if u != r => Some(u),
                _ => None,
            };
            let linked = upstream.filter(|&u| {
                self.redis[u].proc.alive
                    && self.net.can_talk(NodeId::Redis(r), NodeId::Redis(u))
                    && self.now >= self.redis[r].redis.sync_until
            });
            let upstream = linked.map(|u| {
                let m = &self.redis[u].redis;
                (m.offset, m.replid.clone(), m.replid2.clone())
            });
            let rr = &mut self.redis[r].redis;
            match upstream {
                Some((off, replid, replid2)) => {
                    rr.link_up = true;
                    rr.link_down_since = None;
                    rr.offset = off;
                    rr.replid = replid;
                    rr.replid2 = replid2;
                }
                None => {
                    rr.link_up = false;
                    rr.link_down_since.get_or_insert(self.now);
                }
            }
        }
    }
}
