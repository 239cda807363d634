//! Discovery: what INFO replies and hello messages teach (spec §7.5, §7.8).
//!
//! A master's INFO lists its replicas ([`MasterCtx::on_master_info`]: new
//! ones are added, `+slave`, persisted); every INFO gives the run id
//! (`+reboot`) and role (`+role-change`/`-role-change`). Hellos
//! ([`Sentinel::process_hello`]) introduce peer sentinels (`+sentinel`),
//! move them (`+sentinel-address-switch`), raise the current epoch
//! (`+new-epoch`) and spread a newer master address (`+config-update-from`,
//! `+switch-master`, then [`MasterCtx::switch_master`]). Every change is
//! persisted before the events that announce it.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::command::AdminCommand;
use super::ctx::MasterCtx;
use super::event::{Event, InstanceRef};
use super::hello::{HELLO_CHANNEL, Hello, HelloFields};
use super::ids::{Addr, Epoch, RunId};
use super::info::{InfoReport, Role, parse_info};
use super::input::{Input, LinkId, RequestId};
use super::instance::{
    Master, Monitor, Peer, PeerLink, Replica, master_ref, peer_ref, replica_ref,
};
use super::link::{Link, LinkOwner};
use super::masters::MasterId;
use super::names::is_ip;
use super::output::{LinkKind, Output};
use super::sentinel::Sentinel;
use super::timer::Millis;
use crate::config::KnownSentinel;
use crate::resp::Frame;

/// Records the facts every INFO carries; returns the events they cause.
fn apply_common(
    mon: &mut Monitor,
    text: &str,
    now: Millis,
    iref: impl Fn() -> InstanceRef,
) -> (InfoReport, Vec<Event>, bool) {
    let report = parse_info(text);
    let mut events = Vec::new();
    mon.info = Some(Arc::from(text));
    mon.info_refresh = Some(now);
    mon.replid = (report.master_replid.clone(), report.master_replid2.clone());
    if let Some(v) = &report.redis_version {
        mon.redis_version = Some(v.clone());
    }
    match report.master_failover_state.as_deref() {
        Some("no-failover") => {
            mon.handover = None;
            mon.handover_sent = false;
        }
        // Timed from the first sighting, whatever states follow.
        Some(state) => {
            let since = mon.handover.as_ref().map_or(now, |(_, t)| *t);
            mon.handover = Some((state.to_owned(), since));
        }
        None => {}
    }
    let mut rebooted = false;
    if let Some(id) = &report.run_id
        && mon.runid.as_ref() != Some(id)
    {
        if mon.runid.is_some() {
            events.push(Event::Reboot(iref()));
            rebooted = true;
        }
        mon.runid = Some(id.clone());
    }
    (report, events, rebooted)
}

/// A role change, if the reported role differs from the last one.
fn role_change(
    mon: &mut Monitor,
    role: Option<Role>,
    now: Millis,
    configured: Role,
    iref: impl Fn() -> InstanceRef,
) -> Option<Event> {
    let role = role.filter(|r| *r != mon.role_reported)?;
    mon.role_reported = role;
    mon.role_reported_time = now;
    Some(Event::RoleChange { instance: iref(), reported: role, matches_config: role == configured })
}

impl MasterCtx<'_> {
    /// The master's INFO reply.
    pub(crate) fn on_master_info(&mut self, text: &str) {
        let resolve = self.config.sentinel.resolve_hostnames;
        let (now, mc, m, names) = (self.now, &mut *self.mc, &mut *self.m, self.names);
        let (report, events, rebooted) = apply_common(&mut m.mon, text, now, || master_ref(mc));
        if rebooted && mc.master_reboot_down_after_period_ms != 0 {
            m.reboot_since = Some(now);
        }
        let mut added = Vec::new();
        for addr in &report.replicas {
            // A replica announcing a name is ignored without
            // resolve-hostnames, as redis-sentinel cannot create it.
            if !resolve && !is_ip(&addr.host) {
                continue;
            }
            if !m.replicas.keys().any(|known| names.same(known, addr)) {
                m.replicas.insert(addr.clone(), Replica::new(addr.clone(), now));
                mc.known_replicas.push(addr.clone());
                added.push(Event::NewReplica(replica_ref(mc, addr)));
            }
        }
        let role = role_change(&mut m.mon, report.role, now, Role::Master, || master_ref(mc));
        for e in events {
            self.event(e);
        }
        if !added.is_empty() {
            self.persist_soon();
        }
        for e in added.into_iter().chain(role) {
            self.event(e);
        }
    }

    /// The INFO reply of replica `addr`.
    pub(crate) fn on_replica_info(&mut self, addr: &Addr, text: &str) {
        let (now, mc) = (self.now, &*self.mc);
        let Some(r) = self.m.replicas.get_mut(addr) else { return };
        let rref = || replica_ref(mc, addr);
        let (report, events, _) = apply_common(&mut r.mon, text, now, rref);
        r.master_link_down_ms = report.master_link_down_since_secs.map_or(0, |s| s * 1000);
        if report.role == Some(Role::Replica) {
            if report.master_host.is_some() && r.master_host != report.master_host {
                r.master_host = report.master_host.clone();
                r.conf_change_time = now;
            }
            if report.master_port.is_some() && r.master_port != report.master_port {
                r.master_port = report.master_port;
                r.conf_change_time = now;
            }
        }
        r.master_link_up = report.master_link_up;
        if let Some(p) = report.replica_priority {
            r.priority = p;
        }
        if let Some(o) = report.replica_repl_offset {
            r.repl_offset = o;
        }
        if let Some(a) = report.replica_announced {
            r.announced = a;
        }
        let role = role_change(&mut r.mon, report.role, now, Role::Replica, rref);
        if role.is_some() && report.role == Some(Role::Replica) {
            r.conf_change_time = now;
        }
        for e in events.into_iter().chain(role) {
            self.out.push(Output::Event(e));
        }
    }

    /// What a hello teaches about this master's configuration (spec §7.5
    /// steps 3-4): a newer config epoch, and with it maybe a new address,
    /// applied at once or, with `hello-guard yes`, once its sender confirms
    /// it (`guard.rs`; `known`: the sender was known before this hello);
    /// then when the peer was last heard.
    fn learn_master_config(&mut self, hello: &Hello, known: bool) {
        if hello.master_config_epoch > self.mc.config_epoch {
            if self.config.sentinel.hello_guard {
                self.guard_config(hello, known);
            } else {
                self.apply_master_config(hello);
            }
        }
        if let Some(p) = self.m.sentinels.get_mut(&hello.runid) {
            p.heard(self.now, hello.current_epoch);
        }
    }

    /// Adopts a newer config epoch from `hello`, and its address if it
    /// differs (`+config-update-from`, `+switch-master`).
    pub(crate) fn apply_master_config(&mut self, hello: &Hello) {
        let in_failover = self.m.failover.is_some();
        // What we tell clients: the promoted replica's address once our own
        // failover has confirmed it.
        let ours = self.m.client_addr(self.mc);
        self.mc.config_epoch = hello.master_config_epoch;
        // A newer configuration also ends a failover of ours in progress,
        // even when it names the address we started from: finishing ours
        // would switch to our promoted replica under the newer epoch, and
        // the fleet would never agree again (found by the simulation;
        // redis-sentinel compares with the old address only).
        // A peer may give the address we know by name as an IP, or
        // the other way round: that is no address change (`names.rs`).
        let names = self.names;
        if !names.same(&hello.master_addr, &self.mc.addr) || in_failover {
            let mut first = Vec::new();
            let observed = !names.same(&hello.master_addr, &ours);
            if observed {
                let from = peer_ref(self.mc, &hello.runid, &hello.sentinel_addr);
                first.push(Event::ConfigUpdateFrom(from));
                first.push(Event::SwitchMaster {
                    master: InstanceRef::master(self.mc.name.clone(), ours.clone()),
                    new_addr: hello.master_addr.clone(),
                });
            }
            self.switch_master(hello.master_addr.clone(), first);
            if observed {
                self.queue_client_reconfig("observer", &ours, &hello.master_addr);
            }
        } else {
            // redis-sentinel keeps this in memory only, so a restart
            // from the file would take the config epoch backwards.
            self.persist();
        }
    }

    /// Moves the master to `new_addr` (spec §7.4 "Switch"): replicas become
    /// the old ones minus the new address plus the old master, links start
    /// over, peers stay. `first` are the events that announce the switch;
    /// they go out after the `Persist`, then one `+slave` per replica.
    pub(crate) fn switch_master(&mut self, new_addr: Addr, first: Vec<Event>) {
        let (names, mc) = (self.names, &mut *self.mc);
        // An instance we already know keeps the form we know it by (a name
        // stays a name when a peer gives its IP).
        let new_addr = std::iter::once(&mc.addr)
            .chain(&mc.known_replicas)
            .find(|a| names.same(a, &new_addr))
            .cloned()
            .unwrap_or(new_addr);
        let old = std::mem::replace(&mut mc.addr, new_addr.clone());
        let mut replicas: Vec<Addr> =
            mc.known_replicas.iter().filter(|a| !names.same(a, &new_addr)).cloned().collect();
        if !names.same(&old, &new_addr) && !replicas.iter().any(|a| names.same(a, &old)) {
            replicas.push(old);
        }
        self.reset(true);
        let added: Vec<Event> =
            replicas.iter().map(|a| Event::NewReplica(replica_ref(self.mc, a))).collect();
        for a in &replicas {
            self.m.replicas.insert(a.clone(), Replica::new(a.clone(), self.now));
        }
        self.mc.known_replicas = replicas;
        self.persist();
        for e in first.into_iter().chain(added) {
            self.event(e);
        }
    }

    /// Forgets what was learned about the master at run time: closes its
    /// links, drops its replicas (from the config too, written at the next
    /// persist) and, unless `keep_peers`, its peers (the caller then syncs
    /// the peer links, `Sentinel::sync_peer_links`). Flags, failover state,
    /// run id and votes start over.
    pub(crate) fn reset(&mut self, keep_peers: bool) {
        let (mc, m, out) = (&mut *self.mc, &mut *self.m, &mut *self.out);
        if !keep_peers {
            mc.known_sentinels.clear();
        }
        mc.known_replicas.clear();
        m.mon.cmd.close(out);
        m.mon.pubsub.close(out);
        for r in m.replicas.values_mut() {
            r.mon.cmd.close(out);
            r.mon.pubsub.close(out);
        }
        let sentinels = std::mem::take(&mut m.sentinels);
        *m = Master::new(mc, self.now);
        if keep_peers {
            // Their answers were about the old address: they do not count
            // toward ODOWN of the new one.
            m.sentinels = sentinels;
            for p in m.sentinels.values_mut() {
                p.master_down = false;
                p.leader = None;
            }
        }
    }
}

/// A peer's hello that repeats what we know ([`Sentinel::hello_refresh`]).
#[derive(Debug)]
pub(crate) struct HelloRefresh {
    /// The master it names.
    pub master: MasterId,
    /// The peer.
    runid: RunId,
    /// The current epoch it carried.
    epoch: Epoch,
    /// How it came.
    via: Via,
}

/// How a hello came.
#[derive(Debug, Clone, Copy)]
enum Via {
    /// On the named master's (or one of its replicas') pub/sub link.
    Link(LinkId),
    /// Published to us by the peer.
    Publish(RequestId),
}

impl Sentinel {
    /// Whether `input` is a peer's hello that only repeats what we know:
    /// from a peer known under the master it names, at the address we
    /// know, with no newer current epoch and no newer configuration of the
    /// master, while nothing the hello's time decides is pending there (a
    /// failover, a raised fence, a replica claiming to be master). Such a
    /// hello only moves the peer's last hello time, which postpones the
    /// master's fence at most: the master need not be visited
    /// ([`Sentinel::refresh_hello`]). In a fleet of three with a thousand
    /// masters these are two thousand inputs a second, each read in place
    /// ([`HelloFields`]) and never copied.
    pub(crate) fn hello_refresh(&self, input: &Input) -> Option<HelloRefresh> {
        let (payload, via) = match input {
            Input::Message { link, channel, payload } if channel == HELLO_CHANNEL.as_bytes() => {
                (payload, Via::Link(*link))
            }
            Input::Admin { request, command: AdminCommand::Hello { payload } } => {
                (payload, Via::Publish(*request))
            }
            _ => return None,
        };
        let hello = HelloFields::parse(std::str::from_utf8(payload).ok()?)?;
        let master = self.masters.id(hello.master_name)?;
        let (mc, m) = self.masters.record_by_id(master)?;
        if let Via::Link(link) = via {
            // A hello on another master's link changes that one as well.
            let (id, mon, kind) = self.monitor_of(self.out.owners.get(&link)?)?;
            if id != master || kind != LinkKind::PubSub || mon.pubsub.id() != Some(link) {
                return None;
            }
        }
        let peer = m.sentinels.get(hello.runid)?;
        let repeats = hello.sent_from(&peer.addr)
            && hello.current_epoch <= self.config.sentinel.current_epoch
            && hello.master_config_epoch <= mc.config_epoch
            && (self.config.sentinel.resolve_hostnames
                || is_ip(hello.sentinel_host) && is_ip(hello.master_host));
        let quiet = m.failover.is_none()
            && m.fence.is_none()
            && m.replicas.values().all(|r| r.mon.role_reported != Role::Master);
        (repeats && quiet).then(|| HelloRefresh {
            master,
            runid: RunId::from(hello.runid),
            epoch: hello.current_epoch,
            via,
        })
    }

    /// Takes in a hello that repeats what we know
    /// ([`Sentinel::hello_refresh`]): what [`Sentinel::process_hello`]
    /// would have done with it, without visiting the master.
    pub(crate) fn refresh_hello(&mut self, now: Millis, refresh: HelloRefresh) {
        match refresh.via {
            Via::Link(link) => {
                if let Some(link) = self.pubsub_link_mut(link) {
                    link.last_activity = now;
                }
            }
            Via::Publish(request) => self.reply(request, Frame::Integer(1), false),
        }
        let m = self.masters.get_mut_by_id(refresh.master);
        if let Some(p) = m.and_then(|m| m.sentinels.get_mut(&refresh.runid)) {
            p.heard(now, refresh.epoch);
        }
    }

    /// The pub/sub link with this connection, if it is still an instance's.
    fn pubsub_link_mut(&mut self, id: LinkId) -> Option<&mut Link> {
        let link = match self.out.owners.get(&id)? {
            LinkOwner::Master(id, LinkKind::PubSub) => {
                self.masters.get_mut_by_id(*id).map(|m| &mut m.mon.pubsub)
            }
            LinkOwner::Replica(id, addr, LinkKind::PubSub) => self
                .masters
                .get_mut_by_id(*id)
                .and_then(|m| m.replicas.get_mut(addr))
                .map(|r| &mut r.mon.pubsub),
            _ => None,
        };
        link.filter(|l| l.id() == Some(id))
    }

    /// A message on a pub/sub link: a hello from some sentinel.
    pub(crate) fn on_message(&mut self, now: Millis, id: LinkId, channel: &[u8], payload: &[u8]) {
        let Some(link) = self.pubsub_link_mut(id) else { return };
        link.last_activity = now;
        if channel != HELLO_CHANNEL.as_bytes() {
            return;
        }
        let Ok(payload) = std::str::from_utf8(payload) else { return };
        // Our own hellos come back on every pub/sub link; they only count as
        // activity.
        if payload.contains(self.myid().as_str()) {
            return;
        }
        if let Some(hello) = Hello::parse(payload) {
            self.process_hello(now, hello);
        }
    }

    /// `PUBLISH __sentinel__:hello <payload>` from a peer sentinel.
    /// (the parser checked the channel).
    pub(crate) fn publish(&mut self, now: Millis, request: RequestId, payload: &[u8]) {
        if let Some(hello) = std::str::from_utf8(payload).ok().and_then(Hello::parse) {
            self.process_hello(now, hello);
        }
        self.reply(request, Frame::Integer(1), false);
    }

    /// Learns from one hello (spec §7.5 steps 1-4).
    pub(crate) fn process_hello(&mut self, now: Millis, hello: Hello) {
        let name = hello.master_name.as_str();
        let Some(m) = self.masters.get(name) else { return };
        if &hello.runid == self.myid() {
            return;
        }
        // Without resolve-hostnames, redis-sentinel cannot create a peer or
        // a master address from a name: such a hello teaches nothing.
        let named = !is_ip(&hello.sentinel_addr.host) || !is_ip(&hello.master_addr.host);
        if named && !self.config.sentinel.resolve_hostnames {
            return;
        }
        let known = m.sentinels.get(&hello.runid).is_some_and(|p| p.addr == hello.sentinel_addr);
        let mut events = Vec::new();
        if !known {
            events = self.add_peer(now, name, &hello.runid, &hello.sentinel_addr);
        }
        if hello.current_epoch > self.config.sentinel.current_epoch
            && let Some(mc) = self.masters.config(name)
        {
            let mref = master_ref(mc);
            self.config.sentinel.current_epoch = hello.current_epoch;
            self.epoch_raised_at = Some(now);
            events.push(Event::NewEpoch { master: mref, epoch: hello.current_epoch });
        }
        if !events.is_empty() {
            // A peer learned is taught again by its next hello; an epoch
            // raised or an address switched is written at once.
            if events.iter().all(|e| matches!(e, Event::NewSentinel(_))) {
                self.out.persist_soon(now);
            } else {
                self.persist();
            }
            for e in events {
                self.event(e);
            }
        }
        self.with_master(now, name, |c| c.learn_master_config(&hello, known));
    }

    /// Adds peer `runid` at `addr` under `name`, resolving address conflicts
    /// (§7.5 step 1); returns the events, to emit after persisting.
    fn add_peer(&mut self, now: Millis, name: &str, runid: &RunId, addr: &Addr) -> Vec<Event> {
        let mut events = Vec::new();
        let Some((mc, m)) = self.masters.record_mut(name) else { return events };
        let removed = m.sentinels.remove(runid).is_some();
        let mut invalid = None;
        if removed {
            let (mref, addr, runid) = (master_ref(mc), addr.clone(), runid.clone());
            events.push(Event::SentinelAddressSwitch { master: mref, addr, runid });
        } else if let Some((other, p)) = m.sentinels.iter().find(|(_, p)| p.addr == *addr) {
            events.push(Event::SentinelInvalidAddr(peer_ref(mc, other, &p.addr)));
            invalid = Some(other.clone());
        }
        let invalidated = invalid.is_some();
        if let Some(other) = invalid {
            self.forget_peer_everywhere(&other);
        }
        let Some((mc, m)) = self.masters.both_mut(name) else { return events };
        m.sentinels.insert(runid.clone(), Box::new(Peer::new(addr.clone())));
        mc.known_sentinels.retain(|s| &s.runid != runid);
        mc.known_sentinels.push(KnownSentinel { addr: addr.clone(), runid: runid.clone() });
        let pref = peer_ref(mc, runid, addr);
        if !removed {
            events.push(Event::NewSentinel(pref.clone()));
        }
        // A peer new to this master, at the address its shared link already
        // has (or with no link yet): no other master's record moves, and the
        // link only gains a user. With a thousand masters, discovery adds
        // two thousand peers: this keeps each addition from walking every
        // master.
        let link_addr = self.peers.get(runid).map(|pl| &pl.addr);
        if !removed && !invalidated && link_addr.is_none_or(|a| a == addr) {
            self.link_peer(now, name, runid, addr);
            return events;
        }
        // The same run id under other masters moves too, and the shared link
        // follows the newest address.
        let mut others = 0;
        for (mc, m) in self.masters.iter_both_mut().filter(|(mc, _)| mc.name != name) {
            if let Some(p) = m.sentinels.get_mut(runid)
                && p.addr != *addr
            {
                p.addr = addr.clone();
                others += 1;
                for s in mc.known_sentinels.iter_mut().filter(|s| &s.runid == runid) {
                    s.addr = addr.clone();
                }
            }
        }
        if removed && others > 0 {
            events.push(Event::SentinelAddressUpdate { sentinel: pref, others });
        }
        if let Some(pl) = self.peers.get_mut(runid)
            && pl.addr != *addr
        {
            pl.addr = addr.clone();
            pl.link.reset(&mut self.out, now);
        }
        self.sync_peer_links(now);
        events
    }

    /// Forgets peer `runid` under every master.
    fn forget_peer_everywhere(&mut self, runid: &RunId) {
        for (mc, m) in self.masters.iter_both_mut() {
            m.sentinels.remove(runid);
            mc.known_sentinels.retain(|s| &s.runid != runid);
        }
    }

    /// Adds master `name` to the users of peer `runid`'s shared link (in
    /// name order, as [`Sentinel::sync_peer_links`] lists them), creating
    /// the link if it is the peer's first master.
    fn link_peer(&mut self, now: Millis, name: &str, runid: &RunId, addr: &Addr) {
        let serial = &mut self.peer_links_made;
        let pl = self.peers.entry(runid.clone()).or_insert_with(|| {
            *serial += 1;
            PeerLink {
                addr: addr.clone(),
                link: Link::new(LinkKind::Command, now),
                masters: vec![],
                pings_seen: None,
                serial: *serial,
            }
        });
        if let Err(at) = pl.masters.binary_search_by(|n| n.as_str().cmp(name)) {
            pl.masters.insert(at, name.to_owned());
        }
    }

    /// Makes the shared peer links match the peers the masters know: one
    /// link per run id, with the names of the masters that know it (their
    /// number is the link's refcount), closed when no master knows it any
    /// more. Counts a change of that index in `peers_changed`.
    pub(crate) fn sync_peer_links(&mut self, now: Millis) {
        let mut users: BTreeMap<&RunId, (Vec<String>, &Addr)> = BTreeMap::new();
        for (name, m) in self.masters.iter() {
            for (runid, p) in &m.sentinels {
                users.entry(runid).or_insert((Vec::new(), &p.addr)).0.push(name.clone());
            }
        }
        let same = users.len() == self.peers.len()
            && users
                .iter()
                .zip(&self.peers)
                .all(|((r, (n, _)), (q, pl))| *r == q && *n == pl.masters);
        if same {
            return;
        }
        self.peers_changed += 1;
        let users: Vec<(RunId, Vec<String>, Addr)> =
            users.into_iter().map(|(r, (n, a))| (r.clone(), n, a.clone())).collect();
        let Sentinel { peers, out, peer_links_made, .. } = self;
        peers.retain(|runid, pl| {
            let kept = users.iter().any(|(r, _, _)| r == runid);
            if !kept {
                pl.link.close(out);
            }
            kept
        });
        for (runid, masters, addr) in users {
            let link = || {
                *peer_links_made += 1;
                PeerLink {
                    addr,
                    link: Link::new(LinkKind::Command, now),
                    masters: vec![],
                    pings_seen: None,
                    serial: *peer_links_made,
                }
            };
            peers.entry(runid).or_insert_with(link).masters = masters;
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::core::fence::Fence;
    use crate::core::instance::Replica;

    const PEER: &str = "9e0000000000000000000000000000000000000e";

    /// A sentinel at current epoch 3 that knows peer [`PEER`] at
    /// 10.0.0.9:26379 under master `m` (config epoch 2).
    fn sentinel() -> Sentinel {
        let text = format!(
            "port 26379\nsentinel myid 5e0000000000000000000000000000000000000e\n\
             sentinel current-epoch 3\nsentinel monitor m 10.0.0.1 6379 2\n\
             sentinel config-epoch m 2\nsentinel known-sentinel m 10.0.0.9 26379 {PEER}\n"
        );
        let config = crate::config::parse(&text).expect("valid config");
        Sentinel::new(config, 1, Millis::ZERO)
    }

    fn published(fields: &str) -> Input {
        let payload = Bytes::from(fields.replace("PEER", PEER));
        Input::Admin { request: RequestId(1), command: AdminCommand::Hello { payload } }
    }

    fn heard(s: &Sentinel) -> (Option<Millis>, Epoch) {
        let p = &s.masters.get("m").expect("monitored").sentinels[PEER];
        (p.last_hello, p.hello_epoch)
    }

    /// The peer's hello time and epoch move, and the reply is sent, as
    /// the full path would; anything new goes the full path.
    #[test]
    fn a_hello_that_repeats_what_we_know_only_refreshes_the_peer() {
        let mut s = sentinel();
        let repeat = published("10.0.0.9,26379,PEER,3,m,10.0.0.1,6379,2");
        assert!(s.hello_refresh(&repeat).is_some());
        assert!(s.hello_refresh(&published("10.0.0.9,26379,PEER,1,m,10.0.0.1,6379,0")).is_some());
        s.handle(Millis(700), repeat);
        assert_eq!(heard(&s), (Some(Millis(700)), Epoch(3)));
        assert!(std::iter::from_fn(|| s.poll_output()).any(|o| matches!(
            o,
            Output::Reply { request: RequestId(1), frame: Frame::Integer(1), .. }
        )));
        for new in [
            "10.0.0.9,26379,PEER,4,m,10.0.0.1,6379,2", // a newer current epoch
            "10.0.0.9,26379,PEER,3,m,10.0.0.2,6379,3", // a newer master config
            "10.0.0.8,26379,PEER,3,m,10.0.0.1,6379,2", // the peer moved
            "10.0.0.9,26379,7e0000000000000000000000000000000000000e,3,m,10.0.0.1,6379,2",
            "10.0.0.9,26379,PEER,3,other,10.0.0.1,6379,2", // no such master
            "10.0.0.9,26379,PEER,3,m,10.0.0.1,6379",       // not a hello
        ] {
            assert!(s.hello_refresh(&published(new)).is_none(), "{new}");
        }
    }

    /// Persists queued by several inputs before the shell polls are carried
    /// out once, where the first was, with the state as it is when polled;
    /// what followed each still follows it.
    #[test]
    fn queued_persists_are_carried_out_once_with_the_newest_state() {
        let mut s = sentinel();
        while s.poll_output().is_some() {}
        for (request, epoch) in [(1, 4), (2, 5)] {
            s.config.sentinel.current_epoch = Epoch(epoch);
            s.persist();
            s.reply(RequestId(request), Frame::Integer(1), true);
        }
        let outputs: Vec<Output> = std::iter::from_fn(|| s.poll_output()).collect();
        let shown: Vec<String> = outputs
            .iter()
            .map(|o| match o {
                Output::Persist(c) => format!("persist {}", c.sentinel.current_epoch),
                Output::Reply { request, .. } => format!("reply {}", request.0),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(shown, ["persist 5", "reply 1", "reply 2"]);
        let Output::Persist(c) = &outputs[0] else { unreachable!() };
        assert_eq!(c.masters.len(), 1, "every master's configuration is in it");
    }

    /// While the hello's time may decide something, the master is visited.
    #[test]
    fn a_raised_fence_or_a_replica_claiming_master_takes_the_full_path() {
        let repeat = published("10.0.0.9,26379,PEER,3,m,10.0.0.1,6379,2");
        let mut s = sentinel();
        s.masters.get_mut_by_id(s.masters.id("m").expect("monitored")).expect("record").fence =
            Some(Fence { since: Millis::ZERO, paused_at: None });
        assert!(s.hello_refresh(&repeat).is_none(), "fence raised");
        let mut s = sentinel();
        let id = s.masters.id("m").expect("monitored");
        let m = s.masters.get_mut_by_id(id).expect("record");
        let addr = Addr::new("10.0.0.2", 6379);
        let mut r = Replica::new(addr.clone(), Millis::ZERO);
        r.mon.role_reported = Role::Master;
        m.replicas.insert(addr, r);
        assert!(s.hello_refresh(&repeat).is_none(), "replica claiming master");
    }
}
