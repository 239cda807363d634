//! MONITORING: links, periodic commands and their replies (spec §7.1, §6).
//!
//! Every master and replica has a command link and a pub/sub link; every
//! peer sentinel one command link shared by all masters. On each step
//! [`Sentinel::drive_master`] and [`Sentinel::drive_peer_links`] open what is
//! down (once per ping period), close what went silent (§6.3), and queue the
//! periodic PING, INFO and hello whose time has come. [`Sentinel::arm_master`]
//! and [`Sentinel::arm_peer_links`] compute the same times as deadlines.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::coordinated::COORDINATED_POLL;
use super::hello::{HELLO_CHANNEL, Hello};
use super::ids::{Addr, RunId};
use super::input::{LinkId, Tag};
use super::instance::{Master, Monitor, PeerLink};
use super::link::{Cmd, Link, LinkOwner, Outbox, command};
use super::names::is_ip;
use super::output::LinkKind;
use super::sentinel::Sentinel;
use super::timer::{Earliest, Millis, Periods, Timer, on_grid, reached};
use crate::config::{Config, MasterConfig};
use crate::resp::Frame;

/// INFO period for replicas of a master in trouble (spec §6.2).
const FAST_INFO_PERIOD: Millis = Millis(1000);

/// What the periodic rules of one master need to know, borrowed apart from
/// the instances.
pub(crate) struct Ctx<'a> {
    pub now: Millis,
    pub periods: &'a Periods,
    pub config: &'a Config,
    pub master: &'a MasterConfig,
    /// The master address hellos advertise, in announce form (`names.rs`):
    /// the promoted replica's once our failover reached `reconf_slaves`
    /// (`Master::client_addr`).
    pub master_addr: &'a Addr,
}

impl Ctx<'_> {
    /// PING period of this master's instances: the ping period, but at
    /// least three PINGs per down-after (redis-sentinel: min(down-after,
    /// ping period)). SDOWN is counted from the last valid reply, so a
    /// healthy instance must be asked well within down-after.
    fn ping_period(&self) -> Millis {
        Millis((self.master.down_after_ms / 3).min(self.periods.ping().0).max(1))
    }

    /// Whether a hello can be published on a link whose socket has
    /// `local` ([`Ctx::hello_payload`] is `Some`), without building it.
    pub fn can_hello(&self, local: Option<&Addr>) -> bool {
        self.config.sentinel.announce_ip.is_some() || local.is_some()
    }

    /// The hello payload to publish on a link whose socket has `local`.
    pub fn hello_payload(&self, local: Option<&Addr>) -> Option<String> {
        let s = &self.config.sentinel;
        let host = s.announce_ip.clone().or_else(|| local.map(|a| a.host.clone()))?;
        let port = if s.announce_port != 0 { s.announce_port } else { self.config.server.port };
        let hello = Hello {
            sentinel_addr: Addr::new(host, port),
            runid: s.myid.clone().expect("myid is set in Sentinel::new"),
            current_epoch: s.current_epoch,
            master_name: self.master.name.clone(),
            master_addr: self.master_addr.clone(),
            master_config_epoch: self.master.config_epoch,
        };
        Some(hello.encode())
    }

    fn cmd(&self, name: &str, args: &[&str]) -> Vec<Bytes> {
        command(&self.master.rename_commands, name, args)
    }
}

/// When the next INFO is due: a period after the last reply and after the
/// last request (we never queue a second INFO while one is young), on the
/// grid of the instance's PINGs ([`on_grid`]).
fn info_due(mon: &Monitor, period: Millis, ctx: &Ctx) -> Millis {
    let reply = mon.info_refresh.map_or(Millis::ZERO, |t| t + period);
    let sent = mon.info_sent.map_or(Millis::ZERO, |t| t + period);
    on_grid(reply.max(sent), ctx.ping_period())
}

/// When the next hello is due after one sent at `sent`, on the grid of
/// the PINGs ([`on_grid`]).
fn hello_due(sent: Option<Millis>, ctx: &Ctx) -> Millis {
    on_grid(sent.map_or(Millis::ZERO, |t| t + ctx.periods.publish()), ctx.ping_period())
}

/// When `link` is closed for inactivity. A pub/sub link is not, while
/// the instance's writes are paused: no sentinel publishes there then.
fn stale_at(link: &Link, ctx: &Ctx, paused: bool) -> Option<Millis> {
    let min_age = ctx.periods.min_link_reconnect();
    match link.kind {
        LinkKind::Command => link.cmd_stale_at(Millis(ctx.master.down_after_ms), min_age),
        LinkKind::PubSub if paused => None,
        LinkKind::PubSub => link.pubsub_stale_at(ctx.periods.publish(), min_age),
    }
}

/// Connects, closes stale links, and queues PING/INFO/hello on one master
/// or replica.
fn drive_instance(
    out: &mut Outbox,
    ctx: &Ctx,
    mon: &mut Monitor,
    addr: &Addr,
    owner: impl Fn(LinkKind) -> LinkOwner,
    info_period: Millis,
) {
    let now = ctx.now;
    let paused = mon.writes_paused();
    for link in [&mut mon.cmd, &mut mon.pubsub] {
        if reached(stale_at(link, ctx, paused), now) {
            link.close(out);
        }
        if reached(link.connect_due(addr, ctx.periods.ping()), now) {
            let owner = owner(link.kind);
            link.connect(out, now, owner, addr);
        }
    }
    if !mon.cmd.can_queue(1) {
        return;
    }
    // When one periodic command is due, the others due within half a PING
    // period go with it, early: after one round an instance's PING, INFO
    // and hello fall due together and leave in one write (their replies
    // come back in one read), instead of three writes at three times.
    let [ping, info, hello] = periodic_dues(ctx, mon, info_period);
    if !reached([ping, info, hello].into_iter().flatten().min(), now) {
        return;
    }
    let horizon = now + Millis(ctx.ping_period().0 / 2);
    if reached(ping, horizon) {
        mon.cmd.send(out, Cmd::Ping, ctx.cmd("PING", &[]));
        mon.cmd.on_ping_sent(now);
    }
    if reached(info, horizon) {
        mon.cmd.send(out, Cmd::Info, ctx.cmd("INFO", &[]));
        mon.info_sent = Some(now);
    }
    if reached(hello, horizon)
        && let Some(payload) = ctx.hello_payload(mon.cmd.local_addr.as_ref())
    {
        mon.cmd.send(out, Cmd::Publish, ctx.cmd("PUBLISH", &[HELLO_CHANNEL, &payload]));
        mon.hello_sent = Some(now);
    }
}

/// When the PING, the INFO and the hello of an instance whose command link
/// has room are due (`None`: that one cannot be sent).
fn periodic_dues(ctx: &Ctx, mon: &Monitor, info_period: Millis) -> [Option<Millis>; 3] {
    let hello = !mon.writes_paused() && ctx.can_hello(mon.cmd.local_addr.as_ref());
    [
        mon.cmd.ping_due(ctx.ping_period()),
        Some(info_due(mon, info_period, ctx)),
        hello.then(|| hello_due(mon.hello_sent, ctx)),
    ]
}

/// The deadlines of [`drive_instance`].
fn arm_instance(e: &mut Earliest, ctx: &Ctx, mon: &Monitor, addr: &Addr, info_period: Millis) {
    for link in [&mon.cmd, &mon.pubsub] {
        e.arm(Timer::CloseStaleLink, stale_at(link, ctx, mon.writes_paused()));
        e.arm(Timer::Reconnect, link.connect_due(addr, ctx.periods.ping()));
    }
    if !mon.cmd.can_queue(1) {
        return;
    }
    let [ping, info, hello] = periodic_dues(ctx, mon, info_period);
    e.arm(Timer::Ping, ping);
    e.arm(Timer::Info, info);
    e.arm(Timer::Hello, hello);
}

/// INFO period of a replica (spec §6.2; we also speed up while the master
/// is only SDOWN, which only makes replica facts fresher).
fn replica_info_period(
    master: &Master,
    addr: &Addr,
    master_link_down_ms: u64,
    periods: &Periods,
) -> Millis {
    if master.failover.as_ref().is_some_and(|f| f.polls_fast(addr)) {
        return COORDINATED_POLL;
    }
    let troubled = master.mon.sdown_since.is_some()
        || master.odown_since.is_some()
        || master.failover.is_some();
    if troubled || master_link_down_ms != 0 { FAST_INFO_PERIOD } else { periods.info() }
}

impl Sentinel {
    /// Periodic work for a master and the hellos to its peers (its replicas:
    /// [`Sentinel::drive_replicas`]).
    pub(crate) fn drive_master(&mut self, now: Millis, name: &str) {
        let Sentinel { config, masters, peers, out, periods, names, .. } = self;
        let Some((mc, master)) = masters.record_mut(name) else {
            return;
        };
        let master_addr =
            names.announce(&master.client_addr(mc), config.sentinel.announce_hostnames);
        let ctx = Ctx { now, periods, config, master: mc, master_addr: &master_addr };
        let owner = |kind| LinkOwner::Master(name.to_owned(), kind);
        drive_instance(out, &ctx, &mut master.mon, &mc.addr, owner, periods.info());
        for (runid, peer) in master.sentinels.iter_mut() {
            let Some(pl) = peers.get_mut(runid) else { continue };
            if !pl.link.can_queue(pl.users) || hello_due(peer.hello_sent, &ctx) > now {
                continue;
            }
            if let Some(payload) = ctx.hello_payload(pl.link.local_addr.as_ref()) {
                pl.link.send(out, Cmd::Publish, ctx.cmd("PUBLISH", &[HELLO_CHANNEL, &payload]));
                peer.hello_sent = Some(now);
            }
        }
    }

    /// Periodic work for the replicas of a master. The step runs it after
    /// the master is judged, as redis-sentinel handles a master before its
    /// replicas: a master going SDOWN in this step shortens its replicas'
    /// INFO period, and the INFO that makes due goes out in the same step.
    pub(crate) fn drive_replicas(&mut self, now: Millis, name: &str) {
        let Sentinel { config, masters, out, periods, names, .. } = self;
        let Some((mc, master)) = masters.record_mut(name) else {
            return;
        };
        let master_addr =
            names.announce(&master.client_addr(mc), config.sentinel.announce_hostnames);
        let ctx = Ctx { now, periods, config, master: mc, master_addr: &master_addr };
        let periods_of: Vec<Millis> = master
            .replicas
            .values()
            .map(|r| replica_info_period(master, &r.addr, r.master_link_down_ms, periods))
            .collect();
        for ((addr, replica), period) in master.replicas.iter_mut().zip(periods_of) {
            let owner = |kind| LinkOwner::Replica(name.to_owned(), addr.clone(), kind);
            drive_instance(out, &ctx, &mut replica.mon, addr, owner, period);
        }
    }

    /// The deadlines of [`Sentinel::drive_master`] and
    /// [`Sentinel::drive_replicas`].
    pub(crate) fn arm_master(&self, e: &mut Earliest, name: &str) {
        let Some((mc, master)) = self.masters.record(name) else {
            return;
        };
        let master_addr = self.announce(&master.client_addr(mc));
        let ctx = Ctx {
            now: self.last_now,
            periods: &self.periods,
            config: &self.config,
            master: mc,
            master_addr: &master_addr,
        };
        arm_instance(e, &ctx, &master.mon, &mc.addr, self.periods.info());
        for (addr, r) in &master.replicas {
            let period = replica_info_period(master, addr, r.master_link_down_ms, &self.periods);
            arm_instance(e, &ctx, &r.mon, addr, period);
        }
        for (runid, peer) in &master.sentinels {
            let Some(pl) = self.peers.get(runid) else { continue };
            if pl.link.can_queue(pl.users) && ctx.can_hello(pl.link.local_addr.as_ref()) {
                e.arm(Timer::Hello, Some(hello_due(peer.hello_sent, &ctx)));
            }
        }
    }

    /// The first master (by name) that knows peer `runid`: its rename table
    /// and down-after apply to the shared link.
    pub(crate) fn peer_master(&self, runid: &RunId) -> Option<&MasterConfig> {
        let name = self.masters.iter().find(|(_, m)| m.sentinels.contains_key(runid))?.0;
        self.masters.config(name)
    }

    /// Connects, closes stale, and pings the shared peer links.
    pub(crate) fn drive_peer_links(&mut self, now: Millis) {
        let runids: Vec<_> = self.peers.keys().cloned().collect();
        for runid in runids {
            let Some(mc) = self.peer_master(&runid).cloned() else { continue };
            let Sentinel { config, peers, out, periods, .. } = self;
            let ctx = Ctx { now, periods, config, master: &mc, master_addr: &mc.addr };
            let Some(pl) = peers.get_mut(&runid) else { continue };
            if reached(stale_at(&pl.link, &ctx, false), now) {
                pl.link.close(out);
            }
            if reached(pl.link.connect_due(&pl.addr, periods.ping()), now) {
                pl.link.connect(out, now, LinkOwner::Peer(runid.clone()), &pl.addr);
            }
            if pl.link.can_queue(pl.users) && reached(pl.link.ping_due(ctx.ping_period()), now) {
                pl.link.send(out, Cmd::Ping, ctx.cmd("PING", &[]));
                pl.link.on_ping_sent(now);
            }
        }
    }

    /// The deadlines of [`Sentinel::drive_peer_links`].
    pub(crate) fn arm_peer_links(&self, e: &mut Earliest) {
        for (runid, pl) in &self.peers {
            let Some(mc) = self.peer_master(runid) else { continue };
            let ctx = Ctx {
                now: self.last_now,
                periods: &self.periods,
                config: &self.config,
                master: mc,
                master_addr: &mc.addr,
            };
            e.arm(Timer::CloseStaleLink, stale_at(&pl.link, &ctx, false));
            e.arm(Timer::Reconnect, pl.link.connect_due(&pl.addr, self.periods.ping()));
            if pl.link.can_queue(pl.users) {
                e.arm(Timer::Ping, pl.link.ping_due(ctx.ping_period()));
            }
        }
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
            LinkOwner::Master(name, _) | LinkOwner::Replica(name, _, _) => {
                self.masters.config(name)
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
        let cmd = |name: &str, args: &[&str]| command(&mc.rename_commands, name, args);
        if let Some(pass) = pass {
            // The password and user go as bytes (they need not be UTF-8).
            let mut auth = cmd("AUTH", &[]);
            auth.extend(user.into_iter().chain([pass]));
            link.send(out, Cmd::Setup, auth);
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
            LinkOwner::Master(name, _) => self.masters.config(name).map(|mc| &mc.addr.host),
            LinkOwner::Replica(_, addr, _) => Some(&addr.host),
            LinkOwner::Peer(runid) => self.peers.get(runid).map(|pl| &pl.addr.host),
        };
        let Some(host) = host.cloned() else { return };
        if self.names.learn(&host, ip) {
            tracing::debug!(host, ip, "hostname resolved");
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
        for (_, mc, m) in masters.iter_both_mut().filter(|(_, _, m)| m.failover.is_none()) {
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
        if let Some(link) = find_link(masters, peers, &owner).filter(|l| l.id() == Some(id)) {
            link.on_down(out);
        }
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
        match cmd {
            Cmd::Ping => self.on_ping_reply(now, &owner, &frame),
            Cmd::Info => {
                let Some(text) = info_text(&frame) else { return };
                match owner {
                    LinkOwner::Master(name, _) => self.on_master_info(now, &name, text),
                    LinkOwner::Replica(name, addr, _) => {
                        self.on_replica_info(now, &name, &addr, text)
                    }
                    LinkOwner::Peer(_) => {}
                }
            }
            Cmd::AskMasterDown(master, asked) => {
                if let LinkOwner::Peer(runid) = owner {
                    self.on_ask_reply(now, &master, &asked, &runid, &frame);
                }
            }
            Cmd::Exec => self.on_exec_reply(now, &owner),
            Cmd::FailoverTo => self.on_failover_to_reply(now, &owner, &frame),
            Cmd::Setup | Cmd::Subscribe | Cmd::Publish => {}
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
        link.last_pong = now;
        if ["PONG", "LOADING", "MASTERDOWN"].iter().any(|p| text.starts_with(p)) {
            link.last_avail = now;
            link.act_ping = None;
        }
        let (mc, mon) = match owner {
            LinkOwner::Master(name, _) => {
                let Some((mc, m)) = masters.record_mut(name) else { return };
                if text.starts_with("PONG") {
                    m.reboot_since = None;
                }
                (mc, &mut m.mon)
            }
            LinkOwner::Replica(name, addr, _) => {
                let Some((mc, m)) = masters.record_mut(name) else { return };
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
        LinkOwner::Master(name, kind) => masters.get_mut(name)?.mon.link_mut(*kind),
        LinkOwner::Replica(name, addr, kind) => {
            masters.get_mut(name)?.replicas.get_mut(addr)?.mon.link_mut(*kind)
        }
        LinkOwner::Peer(runid) => &mut peers.get_mut(runid)?.link,
    })
}

impl Monitor {
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
