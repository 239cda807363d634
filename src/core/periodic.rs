//! MONITORING, the periodic side (spec §7.1, §6): opening what is down
//! (once per ping period), closing what went silent (§6.3), and the
//! periodic PING, INFO and hello of every master, replica and peer link.
//!
//! Each of these rules states when it is next due in one function of
//! [`Rules`] (or [`Link`]), which returns `None` when it cannot fire (a
//! link that is down or full, writes paused, no address to announce): the
//! step sends when that time is reached, the rearm keeps the earliest of
//! them ([`Sentinel::peer_link_deadlines`],
//! [`MasterCtx::periodic_deadlines`]).

use std::collections::BTreeMap;

use super::coordinated::COORDINATED_POLL;
use super::ctx::MasterCtx;
use super::failover::Failover;
use super::hello::HelloFields;
use super::ids::{Addr, RunId};
use super::instance::{Master, Monitor, Peer, PeerLink, Replica};
use super::link::{Cmd, Link, LinkOwner, Outbox, command, publish_hello};
use super::names::Names;
use super::output::LinkKind;
use super::sentinel::Sentinel;
use super::timer::{Earliest, Millis, Periods, Timer, on_grid, reached};
use crate::config::{Config, MasterConfig};
use crate::resp::EncodedCommand;

/// INFO period for replicas of a master in trouble (spec §6.2).
const FAST_INFO_PERIOD: Millis = Millis(1000);

/// What the periodic rules of one master's instances read, borrowed apart
/// from the instances; each `*_due` is one rule's next time.
pub(crate) struct Rules<'a> {
    pub now: Millis,
    pub periods: &'a Periods,
    pub config: &'a Config,
    pub myid: &'a RunId,
    pub master: &'a MasterConfig,
    pub names: &'a Names,
}

impl Rules<'_> {
    /// PING period of this master's instances: the ping period, but at
    /// least three PINGs per down-after (redis-sentinel: min(down-after,
    /// ping period)). SDOWN is counted from the last valid reply, so a
    /// healthy instance must be asked well within down-after. With
    /// `fence`, three PINGs per fence time too (`fence.rs`).
    fn ping_period(&self) -> Millis {
        let fence = Some(self.master.fence_ms / 3).filter(|t| *t != 0).unwrap_or(u64::MAX);
        Millis((self.master.down_after_ms / 3).min(self.periods.ping().0).min(fence).max(1))
    }

    /// The host a hello gives for us on a link whose socket has `local`:
    /// announce-ip, else the socket's address; `None`, no hello can be sent.
    fn hello_host<'l>(&'l self, local: Option<&'l Addr>) -> Option<&'l str> {
        self.config.sentinel.announce_ip.as_deref().or(local.map(|a| a.host.as_str()))
    }

    /// The hello payload to publish on a link whose socket has `local`,
    /// advertising `master_addr` (in the form it is known by; announced here).
    pub fn hello_payload(&self, local: Option<&Addr>, master_addr: &Addr) -> Option<String> {
        let s = &self.config.sentinel;
        let port =
            if s.announce_port != 0 { s.announce_port } else { self.config.server.hello_port() };
        let master_addr = self.names.announce(master_addr, s.announce_hostnames);
        let hello = HelloFields {
            sentinel_host: self.hello_host(local)?,
            sentinel_port: port,
            runid: self.myid.as_str(),
            current_epoch: s.current_epoch,
            master_name: &self.master.name,
            master_host: &master_addr.host,
            master_port: master_addr.port,
            master_config_epoch: self.master.config_epoch,
        };
        Some(hello.encode())
    }

    fn cmd(&self, name: &'static str, args: &[&str]) -> EncodedCommand {
        command(&self.master.rename_commands, name, args)
    }

    /// When `link` is closed for inactivity. A pub/sub link is not, while
    /// the instance's writes are paused: no sentinel publishes there then.
    fn stale_due(&self, link: &Link, paused: bool) -> Option<Millis> {
        let min_age = self.periods.min_link_reconnect();
        match link.kind {
            LinkKind::Command => link.cmd_stale_at(Millis(self.master.down_after_ms), min_age),
            LinkKind::PubSub if paused => None,
            LinkKind::PubSub => link.pubsub_stale_at(self.periods.publish(), min_age),
        }
    }

    /// When a down link may connect again.
    fn connect_due(&self, link: &Link, addr: &Addr) -> Option<Millis> {
        link.connect_due(addr, self.periods.ping())
    }

    /// When the next PING is due on a command link shared by `users`
    /// masters (`None`: it is down or full).
    fn ping_due(&self, link: &Link, users: usize) -> Option<Millis> {
        link.can_queue(users).then(|| link.ping_due(self.ping_period())).flatten()
    }

    /// When the next INFO is due: a period after the last reply and after
    /// the last request (never a second INFO while one is young), on the
    /// grid of the PINGs ([`on_grid`]).
    fn info_due(&self, mon: &Monitor, period: Millis) -> Option<Millis> {
        let reply = mon.info_refresh.map_or(Millis::ZERO, |t| t + period);
        let sent = mon.info_sent.map_or(Millis::ZERO, |t| t + period);
        mon.cmd.can_queue(1).then(|| on_grid(reply.max(sent), self.ping_period()))
    }

    /// When the next hello is due on an instance's command link (none
    /// while its writes may be paused by a hand-over, or without an address
    /// to announce; not before our fence's pause ends, which is a deadline
    /// of its own: the debug check found it due in the past, unvisited).
    fn hello_due(&self, mon: &Monitor, paused: bool) -> Option<Millis> {
        let possible = mon.cmd.can_queue(1)
            && !paused
            && self.hello_host(mon.cmd.local_addr.as_ref()).is_some();
        let due = self.hello_after(mon.hello_sent);
        possible.then(|| mon.fence_until.map_or(due, |t| due.max(t)))
    }

    /// A hello period after `sent`, on the grid of the PINGs ([`on_grid`]).
    fn hello_after(&self, sent: Option<Millis>) -> Millis {
        on_grid(after(sent, self.periods.publish()), self.ping_period())
    }

    /// When the next hello to a peer about this master is due, on the
    /// shared link.
    fn peer_hello_due(&self, peer: &Peer, pl: &PeerLink) -> Option<Millis> {
        let possible =
            pl.link.can_queue(pl.users()) && self.hello_host(pl.link.local_addr.as_ref()).is_some();
        possible.then(|| self.hello_after(peer.hello_sent))
    }

    /// Connects, closes stale links, and queues PING/INFO/hello on one
    /// master or replica. `hello_addr` is the master address hellos give;
    /// `paused`: its writes may be paused (no hello).
    #[allow(clippy::too_many_arguments)]
    fn step_instance(
        &self,
        out: &mut Outbox,
        mon: &mut Monitor,
        addr: &Addr,
        owner: impl Fn(LinkKind) -> LinkOwner,
        info_period: Millis,
        hello_addr: &Addr,
        paused: bool,
    ) {
        let now = self.now;
        for link in [&mut mon.cmd, &mut mon.pubsub] {
            if reached(self.stale_due(link, paused), now) {
                link.close(out);
            }
            if reached(self.connect_due(link, addr), now) {
                link.connect(out, now, owner(link.kind), addr);
            }
        }
        // All three judged before any is sent: room for one command means
        // room for the three. When one is due, the others due within half a
        // PING period go with it, early: after one round an instance's PING,
        // INFO and hello fall due together and leave in one write (their
        // replies come back in one read) instead of three writes at three
        // times.
        let ping = self.ping_due(&mon.cmd, 1);
        let info = self.info_due(mon, info_period);
        let hello = self.hello_due(mon, paused);
        if !reached([ping, info, hello].into_iter().flatten().min(), now) {
            return;
        }
        let horizon = now + Millis(self.ping_period().0 / 2);
        // A PING goes early only when none is unanswered: right after the
        // link-up PING, the INFO due with it would pull in a second one.
        let early_ping = if mon.cmd.act_ping.is_none() { horizon } else { now };
        if reached(ping, early_ping) {
            mon.cmd.send(out, Cmd::Ping, self.cmd("PING", &[]));
            mon.cmd.on_ping_sent(now);
        }
        if reached(info, horizon) {
            mon.cmd.send(out, Cmd::Info, self.cmd("INFO", &[]));
            mon.info_sent = Some(now);
        }
        if reached(hello, horizon)
            && let Some(payload) = self.hello_payload(mon.cmd.local_addr.as_ref(), hello_addr)
        {
            mon.cmd.send(out, Cmd::Publish, publish_hello(&self.master.rename_commands, &payload));
            mon.hello_sent = Some(now);
        }
    }

    /// The deadlines of [`Rules::step_instance`].
    fn instance_deadlines(
        &self,
        e: &mut Earliest,
        mon: &Monitor,
        addr: &Addr,
        period: Millis,
        paused: bool,
    ) {
        for link in [&mon.cmd, &mon.pubsub] {
            e.arm(Timer::CloseStaleLink, self.stale_due(link, paused));
            e.arm(Timer::Reconnect, self.connect_due(link, addr));
        }
        e.arm(Timer::Ping, self.ping_due(&mon.cmd, 1));
        e.arm(Timer::Info, self.info_due(mon, period));
        e.arm(Timer::Hello, self.hello_due(mon, paused));
    }
}

/// Whether replica `addr`'s writes may be paused: by a hand-over, or by
/// another sentinel's fence ([`Monitor::maybe_fenced`]), unless it is the
/// replica our failover promotes.
fn replica_paused(failover: Option<&Failover>, addr: &Addr, mon: &Monitor) -> bool {
    let promoted = failover.and_then(Failover::promoted) == Some(addr);
    mon.writes_paused() || (mon.maybe_fenced() && !promoted)
}

/// A period after `sent` (at once if never).
fn after(sent: Option<Millis>, period: Millis) -> Millis {
    sent.map_or(Millis::ZERO, |t| t + period)
}

/// INFO period of a replica (spec §6.2; we also speed up while the master
/// is only SDOWN, which only makes replica facts fresher). `troubled`: the
/// master is SDOWN, ODOWN or in failover.
fn replica_info_period(
    failover: Option<&Failover>,
    troubled: bool,
    r: &Replica,
    periods: &Periods,
) -> Millis {
    if failover.is_some_and(|f| f.polls_fast(&r.addr)) {
        return COORDINATED_POLL;
    }
    if troubled || r.master_link_down_ms != 0 { FAST_INFO_PERIOD } else { periods.info() }
}

impl MasterCtx<'_> {
    /// The periodic rules' view of this master.
    fn rules(&self) -> Rules<'_> {
        let MasterCtx { now, mc, config, periods, names, myid, .. } = self;
        Rules { now: *now, periods, config, myid, master: mc, names }
    }

    /// The periodic rules' view of this master, and what they change.
    fn split(&mut self) -> (Rules<'_>, &mut Master, &mut Outbox, &mut BTreeMap<RunId, PeerLink>) {
        let MasterCtx { now, mc, m, config, out, peers, periods, names, myid, .. } = self;
        (Rules { now: *now, periods, config, myid, master: mc, names }, m, out, peers)
    }

    /// Whether the master is SDOWN, ODOWN or in failover: its replicas'
    /// INFO is asked every second.
    fn troubled(&self) -> bool {
        self.m.mon.sdown_since.is_some()
            || self.m.odown_since.is_some()
            || self.m.failover.is_some()
    }

    /// Periodic work for the master and the hellos to its peers (its
    /// replicas: [`MasterCtx::replicas_periodic`]).
    pub(crate) fn master_periodic(&mut self) {
        let id = self.id;
        let (rules, m, out, peers) = self.split();
        let (mc, now) = (rules.master, rules.now);
        let client = m.failover.as_ref().and_then(Failover::client_addr).unwrap_or(&mc.addr);
        let owner = |kind| LinkOwner::Master(id, kind);
        let info = rules.periods.info();
        let paused = m.mon.writes_paused();
        rules.step_instance(out, &mut m.mon, &mc.addr, owner, info, client, paused);
        for (runid, peer) in m.sentinels.iter_mut() {
            // The peer's link is looked up (by run id) only when its hello
            // may be due: most visits come for a PING.
            if rules.hello_after(peer.hello_sent) > now {
                continue;
            }
            let Some(pl) = peers.get_mut(runid) else { continue };
            if !reached(rules.peer_hello_due(peer, pl), now) {
                continue;
            }
            if let Some(payload) = rules.hello_payload(pl.link.local_addr.as_ref(), client) {
                pl.link.send(
                    out,
                    Cmd::Publish,
                    publish_hello(&rules.master.rename_commands, &payload),
                );
                peer.hello_sent = Some(now);
            }
        }
    }

    /// Periodic work for the replicas.
    pub(crate) fn replicas_periodic(&mut self) {
        let (troubled, id) = (self.troubled(), self.id);
        let (rules, m, out, _) = self.split();
        let mc = rules.master;
        let client = m.failover.as_ref().and_then(Failover::client_addr).unwrap_or(&mc.addr);
        for (addr, r) in m.replicas.iter_mut() {
            let period = replica_info_period(m.failover.as_ref(), troubled, r, rules.periods);
            let owner = |kind| LinkOwner::Replica(id, addr.clone(), kind);
            let paused = replica_paused(m.failover.as_ref(), addr, &r.mon);
            rules.step_instance(out, &mut r.mon, addr, owner, period, client, paused);
        }
    }

    /// The deadlines of [`MasterCtx::master_periodic`] and
    /// [`MasterCtx::replicas_periodic`].
    pub(crate) fn periodic_deadlines(&self, e: &mut Earliest) {
        let (rules, m, troubled) = (self.rules(), &*self.m, self.troubled());
        let paused = m.mon.writes_paused();
        rules.instance_deadlines(e, &m.mon, &self.mc.addr, self.periods.info(), paused);
        for (addr, r) in &m.replicas {
            let period = replica_info_period(m.failover.as_ref(), troubled, r, self.periods);
            let paused = replica_paused(m.failover.as_ref(), addr, &r.mon);
            rules.instance_deadlines(e, &r.mon, addr, period, paused);
        }
        for (runid, peer) in &m.sentinels {
            // A hello due no earlier than what is kept changes nothing: its
            // link is not looked up.
            if e.holds_by(rules.hello_after(peer.hello_sent)) {
                continue;
            }
            if let Some(pl) = self.peers.get(runid) {
                e.arm(Timer::Hello, rules.peer_hello_due(peer, pl));
            }
        }
    }
}

impl Sentinel {
    /// Connects, closes stale, and pings the shared peer links. A link
    /// takes the rename table and down-after of the first master (by name)
    /// that knows the peer.
    pub(crate) fn peer_links_periodic(&mut self, now: Millis) {
        let Sentinel { config, peers, out, periods, masters, names, myid, .. } = self;
        for (runid, pl) in peers.iter_mut() {
            let Some(master) = pl.masters.first().and_then(|n| masters.config(n)) else {
                continue;
            };
            let rules = Rules { now, periods, config, myid, master, names };
            if reached(rules.stale_due(&pl.link, false), now) {
                pl.link.close(out);
            }
            if reached(rules.connect_due(&pl.link, &pl.addr), now) {
                pl.link.connect(out, now, LinkOwner::Peer(runid.clone()), &pl.addr);
            }
            if reached(rules.ping_due(&pl.link, pl.users()), now) {
                pl.link.send(out, Cmd::Ping, rules.cmd("PING", &[]));
                pl.link.on_ping_sent(now);
            }
        }
    }

    /// The deadlines of [`Sentinel::peer_links_periodic`].
    pub(crate) fn peer_link_deadlines(&self, e: &mut Earliest) {
        let (config, periods, names, myid) = (&self.config, &self.periods, &self.names, &self.myid);
        for pl in self.peers.values() {
            let Some(master) = pl.masters.first().and_then(|n| self.masters.config(n)) else {
                continue;
            };
            let rules = Rules { now: self.last_now, periods, config, myid, master, names };
            e.arm(Timer::CloseStaleLink, rules.stale_due(&pl.link, false));
            e.arm(Timer::Reconnect, rules.connect_due(&pl.link, &pl.addr));
            e.arm(Timer::Ping, rules.ping_due(&pl.link, pl.users()));
            e.arm(Timer::DownAfter, pl.quiet_at(self.peer_patience));
        }
    }
}
