//! MONITORING, the link side (spec §7.1, §6): what arrives on the links of
//! masters, replicas and peers (connections coming up and going down,
//! replies), routed to the instance it concerns. The periodic rules are in
//! `periodic.rs`.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::event::Event;
use super::hello::HELLO_CHANNEL;
use super::ids::{Addr, RunId};
use super::input::{LinkId, TLS_FAILED, Tag};
use super::instance::{Monitor, PeerLink, master_ref, peer_ref, replica_ref};
use super::link::{Cmd, Link, LinkOwner, command, command_with};
use super::names::is_ip;
use super::output::LinkKind;
use super::sentinel::Sentinel;
use super::timer::Millis;
use crate::config::MasterConfig;
use crate::resp::Frame;

impl Sentinel {
    /// The first master (by name) that knows peer `runid`: its rename table
    /// and down-after apply to the shared link.
    pub(crate) fn peer_master(&self, runid: &RunId) -> Option<&MasterConfig> {
        let pl = self.peers.get(runid)?;
        self.masters.config(pl.masters.first()?)
    }

    /// A connection came up: authenticate, name it, then PING or SUBSCRIBE.
    pub(crate) fn on_link_up(
        &mut self,
        now: Millis,
        id: LinkId,
        local_addr: Option<Addr>,
        remote_addr: Option<Addr>,
    ) {
        let Some(owner) = self.out.owners.get(&id).cloned() else { return };
        if let Some(remote) = remote_addr {
            self.learn_name(&owner, &remote.host);
        }
        let mc = match &owner {
            LinkOwner::Master(id, _) | LinkOwner::Replica(id, _, _) => {
                self.masters.config_by_id(*id)
            }
            LinkOwner::Peer(runid) => self.peer_master(runid),
        };
        let Some(mc) = mc.cloned() else { return };
        let s = &self.config.sentinel;
        let (user, pass) = match owner {
            // Without sentinel-pass, a sentinel's own requirepass is the
            // fleet's shared password (redis-sentinel's legacy mode).
            LinkOwner::Peer(_) => match &s.sentinel_pass {
                Some(pass) => (s.sentinel_user.clone(), Some(pass.clone())),
                None => (None, self.config.server.requirepass.clone().map(Bytes::from)),
            },
            _ => (mc.auth_user.clone(), mc.auth_pass.clone()),
        };
        let client_name = format!("sentinel-{}", &self.myid().as_str()[..8]);
        let Sentinel { masters, peers, out, .. } = self;
        let Some(link) = find_link(masters, peers, &owner).filter(|l| l.id() == Some(id)) else {
            return;
        };
        link.on_up(now, id, local_addr);
        let cmd = |name: &'static str, args: &[&str]| command(&mc.rename_commands, name, args);
        if let Some(pass) = pass {
            // The password and user go as bytes (they need not be UTF-8).
            let args = user.iter().chain([&pass]).map(|b| &b[..]);
            link.send(out, Cmd::Setup, command_with(&mc.rename_commands, "AUTH", args));
        }
        if link.kind == LinkKind::Command {
            link.send(out, Cmd::Setup, cmd("CLIENT", &["SETNAME", &format!("{client_name}-cmd")]));
            link.send(out, Cmd::Ping, cmd("PING", &[]));
            link.on_ping_sent(now);
        } else {
            link.send(
                out,
                Cmd::Setup,
                cmd("CLIENT", &["SETNAME", &format!("{client_name}-pubsub")]),
            );
            link.send(out, Cmd::Subscribe, cmd("SUBSCRIBE", &[HELLO_CHANNEL]));
        }
    }

    /// A connection of `owner` reached `ip`: if `owner` is known by name,
    /// that is where the name leads now (`names.rs`).
    fn learn_name(&mut self, owner: &LinkOwner, ip: &str) {
        let host = match owner {
            LinkOwner::Master(id, _) => self.masters.config_by_id(*id).map(|mc| &mc.addr.host),
            LinkOwner::Replica(_, addr, _) => Some(&addr.host),
            LinkOwner::Peer(runid) => self.peers.get(runid).map(|pl| &pl.addr.host),
        };
        let Some(host) = host.cloned() else { return };
        if self.names.learn(&host, ip) {
            tracing::debug!(host = host.as_str(), ip, "hostname resolved");
            self.names_learned += 1;
            self.merge_replica_aliases();
        }
    }

    /// Drops every replica known by IP that is also known by name under
    /// the same master (learned both ways before the name's address was
    /// known): the name is kept, as it follows the instance if its address
    /// changes. Not while a failover of that master runs, which may hold
    /// either entry.
    fn merge_replica_aliases(&mut self) {
        let Sentinel { masters, out, names, .. } = self;
        let mut merged = false;
        for (mc, m) in masters.iter_both_mut().filter(|(_, m)| m.failover.is_none()) {
            let aliases: Vec<Addr> = m
                .replicas
                .keys()
                .filter(|a| is_ip(&a.host))
                .filter(|a| m.replicas.keys().any(|b| !is_ip(&b.host) && names.same(a, b)))
                .cloned()
                .collect();
            for alias in &aliases {
                if let Some(mut r) = m.replicas.remove(alias) {
                    r.mon.cmd.close(out);
                    r.mon.pubsub.close(out);
                }
            }
            mc.known_replicas.retain(|a| !aliases.contains(a));
            merged |= !aliases.is_empty();
        }
        if merged {
            self.persist();
        }
    }

    /// A connection failed or closed.
    pub(crate) fn on_link_down(&mut self, id: LinkId, reason: &str) {
        tracing::debug!(link = id.0, reason, "link down");
        let Sentinel { masters, peers, out, .. } = self;
        let Some(owner) = out.owners.get(&id).cloned() else { return };
        let Some(link) = find_link(masters, peers, &owner).filter(|l| l.id() == Some(id)) else {
            return;
        };
        let never_up = !link.is_up();
        link.on_down(out);
        if never_up && reason == TLS_FAILED {
            self.link_reconnection(&owner, reason);
        }
    }

    /// `-cmd-link-reconnection` / `-pubsub-link-reconnection` (debug, not
    /// published): the TLS session of a new connection could not be set
    /// up. redis-sentinel emits them when hiredis fails at once while it
    /// connects (`sentinelReconnectInstance`): with `#Failed to initialize
    /// TLS` for a TLS failure (a certificate the CA did not sign, seen with
    /// 7.0.15); a refused or reset TCP connection is reported later, by
    /// the event loop, with no event, and so it has none here either.
    fn link_reconnection(&mut self, owner: &LinkOwner, reason: &str) {
        let (instance, kind) = match owner {
            LinkOwner::Master(id, kind) => match self.masters.config_by_id(*id) {
                Some(mc) => (master_ref(mc), *kind),
                None => return,
            },
            LinkOwner::Replica(id, addr, kind) => match self.masters.config_by_id(*id) {
                Some(mc) => (replica_ref(mc, addr), *kind),
                None => return,
            },
            LinkOwner::Peer(runid) => {
                let (Some(mc), Some(peer)) = (self.peer_master(runid), self.peers.get(runid))
                else {
                    return;
                };
                (peer_ref(mc, runid, &peer.addr), LinkKind::Command)
            }
        };
        let error = reason.to_string();
        self.event(match kind {
            LinkKind::Command => Event::CmdLinkReconnection { instance, error },
            LinkKind::PubSub => Event::PubsubLinkReconnection { instance, error },
        });
    }

    /// A reply to a command we sent.
    pub(crate) fn on_reply(&mut self, now: Millis, id: LinkId, tag: Tag, frame: Frame) {
        let Sentinel { masters, peers, out, .. } = self;
        let Some(owner) = out.owners.get(&id).cloned() else { return };
        let Some(link) = find_link(masters, peers, &owner).filter(|l| l.id() == Some(id)) else {
            return;
        };
        if link.kind == LinkKind::PubSub {
            link.last_activity = now;
        }
        let Some(cmd) = link.pending.remove(&tag) else { return };
        if cmd == Cmd::Subscribe && matches!(frame, Frame::Error(_)) {
            tracing::debug!(link = id.0, reply = ?frame, "SUBSCRIBE refused: pub/sub link closed");
            link.close(out);
            return;
        }
        match (cmd, owner) {
            (Cmd::Ping, owner) => self.on_ping_reply(now, &owner, &frame),
            (Cmd::Info, LinkOwner::Master(id, _)) => {
                let Some(text) = info_text(&frame) else { return };
                self.with_master_id(now, id, |c| c.on_master_info(text));
            }
            (Cmd::Info, LinkOwner::Replica(id, addr, _)) => {
                let Some(text) = info_text(&frame) else { return };
                self.with_master_id(now, id, |c| c.on_replica_info(&addr, text));
            }
            (Cmd::AskMasterDown(master, asked), LinkOwner::Peer(runid)) => {
                self.with_master(now, &master, |c| c.on_ask_reply(&asked, &runid, &frame));
            }
            (Cmd::ConfirmEpoch(master), LinkOwner::Peer(runid)) => {
                self.with_master(now, &master, |c| c.on_confirm_epoch(&runid, &frame));
            }
            (Cmd::ConfirmAddr(claim), LinkOwner::Peer(runid)) => {
                self.with_master(now, &claim.master, |c| c.on_confirm_addr(&runid, &claim, &frame));
            }
            (Cmd::Exec, LinkOwner::Replica(id, addr, LinkKind::Command)) => {
                self.with_master_id(now, id, |c| c.on_exec_reply(&addr));
            }
            (Cmd::FailoverTo, LinkOwner::Master(id, LinkKind::Command)) => {
                self.with_master_id(now, id, |c| c.on_failover_to_reply(&frame));
            }
            _ => {}
        }
    }

    /// A PING reply (spec §7.1 rule 2).
    fn on_ping_reply(&mut self, now: Millis, owner: &LinkOwner, frame: &Frame) {
        let text = match frame {
            Frame::Simple(s) | Frame::Error(s) => s.as_str(),
            _ => "",
        };
        let Sentinel { masters, peers, out, .. } = self;
        let Some(link) = find_link(masters, peers, owner) else { return };
        link.on_ping_answered(now);
        if ["PONG", "LOADING", "MASTERDOWN"].iter().any(|p| text.starts_with(p)) {
            link.last_avail = now;
            link.act_ping = None;
        }
        let (mc, mon) = match owner {
            LinkOwner::Master(id, _) => {
                let Some((mc, m)) = masters.record_mut_by_id(*id) else { return };
                if text.starts_with("PONG") {
                    m.reboot_since = None;
                }
                (mc, &mut m.mon)
            }
            LinkOwner::Replica(id, addr, _) => {
                let Some((mc, m)) = masters.record_mut_by_id(*id) else { return };
                let Some(r) = m.replicas.get_mut(addr) else { return };
                (mc, &mut r.mon)
            }
            LinkOwner::Peer(_) => return,
        };
        // A busy script keeps the instance from answering: kill it, once.
        let busy = frame.is_error() && text.starts_with("BUSY");
        if busy && mon.sdown_since.is_some() && !mon.script_kill_sent {
            mon.cmd.send(out, Cmd::Setup, command(&mc.rename_commands, "SCRIPT", &["KILL"]));
            mon.script_kill_sent = true;
        }
    }
}

/// The link an owner designates (whichever connection it currently has).
pub(crate) fn find_link<'a>(
    masters: &'a mut super::masters::Masters,
    peers: &'a mut BTreeMap<RunId, PeerLink>,
    owner: &LinkOwner,
) -> Option<&'a mut Link> {
    Some(match owner {
        LinkOwner::Master(id, kind) => masters.get_mut_by_id(*id)?.mon.link_mut(*kind),
        LinkOwner::Replica(id, addr, kind) => {
            masters.get_mut_by_id(*id)?.replicas.get_mut(addr)?.mon.link_mut(*kind)
        }
        LinkOwner::Peer(runid) => &mut peers.get_mut(runid)?.link,
    })
}

impl Monitor {
    /// The link of this kind, to read.
    pub fn link(&self, kind: LinkKind) -> &Link {
        match kind {
            LinkKind::Command => &self.cmd,
            LinkKind::PubSub => &self.pubsub,
        }
    }

    /// The link of this kind.
    pub fn link_mut(&mut self, kind: LinkKind) -> &mut Link {
        match kind {
            LinkKind::Command => &mut self.cmd,
            LinkKind::PubSub => &mut self.pubsub,
        }
    }
}

/// The text of an INFO reply (bulk, or RESP3 verbatim without its format).
fn info_text(frame: &Frame) -> Option<&str> {
    match frame {
        Frame::Verbatim(s) => Some(s.strip_prefix("txt:").unwrap_or(s)),
        Frame::Bulk(_) => frame.as_str(),
        _ => None,
    }
}
