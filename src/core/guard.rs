//! The hello guard (`sentinel hello-guard yes`, ours; off by default):
//! a newer master configuration announced by a hello is applied only once
//! the sentinel that sent it confirms it over our own link to it.
//!
//! # The weakness
//!
//! Hellos are not authenticated (spec §9.2 #9). Anyone who may `PUBLISH`
//! on a monitored Redis can send `__sentinel__:hello` a payload naming any
//! sender, with a config epoch above the fleet's and any master address;
//! every redis-sentinel watching that Redis then announces
//! `+switch-master` to that address and sends its clients there. Without
//! the guard we do the same, for compatibility.
//!
//! # The guard
//!
//! A hello is trusted for what costs nothing (discovering a peer, the
//! sender's current epoch, which is bounded by [`Epoch::MAX_ACCEPTED`] and
//! only decides which votes we may grant), but a newer configuration (a
//! config epoch above ours: a new address, or an epoch raise that would
//! make us ignore the fleet's next failover) is only a claim:
//!
//! 1. The claim must come from a sentinel we already knew at that address
//!    before this hello: one read from the config's `known-sentinel` lines
//!    or discovered earlier. A hello that introduces or moves its sender
//!    is refused for its configuration ([`MasterCtx::guard_config`]).
//! 2. We then ask that sentinel, over our own command link to the address
//!    we know it by (not the one the hello gives, and authenticated with
//!    `sentinel-user`/`sentinel-pass` as usual), `SENTINEL MASTER <name>`
//!    for its config epoch, then `SENTINEL GET-MASTER-ADDR-BY-NAME <name>`
//!    for its address (the promoted replica's once its promotion is
//!    confirmed, which is what its hellos give). At most one such question
//!    per peer and master per ask period (1 s); the peer's next hello
//!    (every 2 s) asks again if needed.
//! 3. When the answers name the hello's address (`Names::same`) under at
//!    least its config epoch, the peer's answer is applied as a hello from
//!    it ([`MasterCtx::on_confirm_addr`]); otherwise the hello is refused
//!    and the reason logged (a warning, with what was claimed and what was
//!    answered).
//!
//! The epoch is read before the address: a peer's address is always at
//! least as new as the epoch read before it, so a failover that completes
//! between the two answers cannot pair a new epoch with an old address
//! (which would make us deaf to the hellos of that failover).
//!
//! A forger who copies a real sentinel's run id and address (both are on
//! the channel for anyone subscribed) is asked about by that real sentinel,
//! which denies it. What it does not stop: a forger that also runs a
//! server answering as a sentinel. A hello can introduce it as a new peer,
//! or move a known peer's run id to its address (peers do move: a
//! restarted pod), and from then on it confirms its own claims; so can a
//! peer without the guard that was fooled first. Only authenticating the
//! peers closes that (TLS towards peers with a private CA); an ACL on the
//! monitored Redis that keeps untrusted clients off the
//! `__sentinel__:hello` channel stops the forgery itself, for
//! redis-sentinel too. Peers must allow `SENTINEL MASTER` and
//! `SENTINEL GET-MASTER-ADDR-BY-NAME` to the sentinel user (redis-sentinel's
//! documented `+@all`). A fleet converges a little later than without the
//! guard (a round trip, or the next hello while the leader still finishes
//! its failover), never to an address no peer stands for.

use super::ctx::MasterCtx;
use super::hello::Hello;
use super::ids::{Addr, Epoch, RunId};
use super::link::{Cmd, command};
use crate::resp::Frame;

/// A claim of a newer configuration, carried with the question that checks
/// it (`Cmd::ConfirmAddr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claim {
    /// The master it is about.
    pub master: String,
    /// The address the hello gave.
    pub addr: Addr,
    /// The config epoch the hello gave.
    pub epoch: Epoch,
}

impl MasterCtx<'_> {
    /// With the guard on, turns a hello's newer configuration into a
    /// question to its sender (module doc, rules 1-2); `known`: the sender
    /// was known at that address before this hello.
    pub(crate) fn guard_config(&mut self, hello: &Hello, known: bool) {
        let (master, runid) = (self.mc.name.as_str(), hello.runid.as_str());
        let (addr, epoch) = (hello.master_addr.to_string(), hello.master_config_epoch);
        if !known {
            tracing::warn!(
                master, sender = runid, addr, %epoch,
                "hello-guard: new configuration refused: its sender is not a sentinel we knew"
            );
            return;
        }
        let Some(peer) = self.m.sentinels.get_mut(&hello.runid) else { return };
        let ask = self.periods.ask();
        if peer.confirm_asked.is_some_and(|t| self.now < t + ask) {
            return;
        }
        // Asked, or refused for want of a link: once per ask period either way.
        peer.confirm_asked = Some(self.now);
        let pl = self.peers.get_mut(&hello.runid).filter(|pl| pl.link.can_queue(pl.users()));
        let Some(pl) = pl else {
            tracing::warn!(
                master, sender = runid, addr, %epoch,
                "hello-guard: new configuration refused for now: no link to its sender to confirm it"
            );
            return;
        };
        let renames = &self.mc.rename_commands;
        let claim = Claim { master: master.to_owned(), addr: hello.master_addr.clone(), epoch };
        let asked_epoch = command(renames, "SENTINEL", &["MASTER", master]);
        let asked_addr = command(renames, "SENTINEL", &["GET-MASTER-ADDR-BY-NAME", master]);
        pl.link.send(self.out, Cmd::ConfirmEpoch(master.to_owned()), asked_epoch);
        pl.link.send(self.out, Cmd::ConfirmAddr(claim), asked_addr);
        peer.confirm_epoch = None;
        tracing::info!(master, sender = runid, addr, %epoch, "hello-guard: asking the sender to confirm");
    }

    /// The peer's `SENTINEL MASTER` reply: keeps its `config-epoch` for the
    /// address reply that follows.
    pub(crate) fn on_confirm_epoch(&mut self, runid: &RunId, frame: &Frame) {
        if let Some(peer) = self.m.sentinels.get_mut(runid) {
            peer.confirm_epoch = config_epoch(frame);
        }
    }

    /// The peer's `SENTINEL GET-MASTER-ADDR-BY-NAME` reply: applies the
    /// peer's answer when it confirms `claim` (module doc, rule 3).
    pub(crate) fn on_confirm_addr(&mut self, runid: &RunId, claim: &Claim, frame: &Frame) {
        let Some(peer) = self.m.sentinels.get_mut(runid) else { return };
        let (epoch, addr) = (peer.confirm_epoch.take(), master_addr(frame));
        let sentinel_addr = peer.addr.clone();
        let confirmed = match (epoch, &addr) {
            (Some(e), Some(a)) => e >= claim.epoch && self.names.same(a, &claim.addr),
            _ => false,
        };
        let (master, sender) = (claim.master.as_str(), runid.as_str());
        let answered = |o: Option<String>| o.unwrap_or_else(|| "nothing".to_owned());
        let (answered_addr, answered_epoch) =
            (answered(addr.as_ref().map(Addr::to_string)), answered(epoch.map(|e| e.to_string())));
        let (Some(epoch), Some(addr), true) = (epoch, addr, confirmed) else {
            tracing::warn!(
                master, sender, claimed_addr = claim.addr.to_string(), claimed_epoch = %claim.epoch,
                answered_addr, answered_epoch,
                "hello-guard: new configuration refused: its sender does not confirm it"
            );
            return;
        };
        if epoch <= self.mc.config_epoch {
            return;
        }
        tracing::info!(master, sender, addr = addr.to_string(), %epoch, "hello-guard: new configuration confirmed");
        let hello = Hello {
            sentinel_addr,
            runid: runid.clone(),
            current_epoch: Epoch::ZERO,
            master_name: claim.master.clone(),
            master_addr: addr,
            master_config_epoch: epoch,
        };
        self.apply_master_config(&hello);
    }
}

/// The `config-epoch` field of a `SENTINEL MASTER` reply (RESP2 flat array
/// or RESP3 map), within [`Epoch::MAX_ACCEPTED`].
fn config_epoch(frame: &Frame) -> Option<Epoch> {
    let items = match frame {
        Frame::Array(items) => items.chunks_exact(2).map(|p| (&p[0], &p[1])).collect::<Vec<_>>(),
        Frame::Map(pairs) => pairs.iter().map(|(k, v)| (k, v)).collect(),
        _ => return None,
    };
    let (_, value) = items.into_iter().find(|(k, _)| k.as_str() == Some("config-epoch"))?;
    Epoch::from_wire(number(value)?)
}

/// An integer, or a number in a bulk string.
fn number(frame: &Frame) -> Option<i64> {
    match frame {
        Frame::Integer(n) | Frame::BulkNumber(n) => Some(*n),
        other => other.as_str()?.parse().ok(),
    }
}

/// The `[ip, port]` of a `SENTINEL GET-MASTER-ADDR-BY-NAME` reply.
fn master_addr(frame: &Frame) -> Option<Addr> {
    let Frame::Array(items) = frame else { return None };
    let [ip, port] = &items[..] else { return None };
    let (ip, port) = (ip.as_str()?, u16::try_from(number(port)?).ok()?);
    (!ip.is_empty() && port != 0).then(|| Addr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(kv: &[(&str, Frame)]) -> Frame {
        Frame::Array(kv.iter().flat_map(|(k, v)| [Frame::bulk(*k), v.clone()]).collect())
    }

    #[test]
    fn config_epoch_from_master_reply() {
        let reply = |v: Frame| pairs(&[("name", Frame::bulk("m")), ("config-epoch", v)]);
        assert_eq!(config_epoch(&reply(Frame::bulk("7"))), Some(Epoch(7)));
        assert_eq!(config_epoch(&reply(Frame::Integer(7))), Some(Epoch(7)));
        assert_eq!(config_epoch(&reply(Frame::Integer(-1))), None);
        assert_eq!(config_epoch(&reply(Frame::bulk("18446744073709551615"))), None);
        assert_eq!(config_epoch(&reply(Frame::bulk("x"))), None);
        assert_eq!(config_epoch(&pairs(&[("name", Frame::bulk("m"))])), None);
        assert_eq!(config_epoch(&Frame::error("ERR No such master with that name")), None);
        // An odd-length array: the last key has no value.
        assert_eq!(config_epoch(&Frame::Array(vec![Frame::bulk("config-epoch")])), None);
    }

    #[test]
    fn addr_from_get_master_addr_reply() {
        let reply = |ip: &str, port: &str| Frame::Array(vec![Frame::bulk(ip), Frame::bulk(port)]);
        assert_eq!(master_addr(&reply("10.0.0.2", "6379")), Some(Addr::new("10.0.0.2", 6379)));
        assert_eq!(master_addr(&reply("10.0.0.2", "0")), None);
        assert_eq!(master_addr(&reply("", "6379")), None);
        assert_eq!(master_addr(&reply("10.0.0.2", "x")), None);
        assert_eq!(master_addr(&Frame::Null), None);
        assert_eq!(master_addr(&Frame::error("IDONTKNOW")), None);
    }
}
