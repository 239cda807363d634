//! A minimal stand-in sentinel core, to test the harness itself.
//!
//! It is NOT the sentinel: it speaks just enough of the protocol to push
//! every path of the world through its paces while the real core's
//! monitoring is being written — command and pub/sub links, PING, INFO,
//! hello over `PUBLISH` and pub/sub, `SENTINEL is-master-down-by-addr`
//! through a peer's `Input::Admin`, reconnects after `LinkDown` — and it
//! keeps `s_down`/`o_down` by spec §7.1–7.2 rules, with TILT (§7.7), but
//! no failover and no votes. If a liveness scenario passes with the probe and fails with
//! the real core, look at the core first; if it fails with both, look here.

use std::collections::BTreeMap;

use bytes::Bytes;
use rsentinel::config::Config;
use rsentinel::core::{
    Addr, AdminCommand, Event, HELLO_CHANNEL, Hello, Input, InstanceRef, InstanceView, LinkId,
    LinkKind, MasterView, Millis, Output, ReplicaView, Rng, RunId, SentinelView, Tag, View,
    parse_info,
};
use rsentinel::resp::{EncodedCommand, Frame};

use crate::world::Core;

const TICK_MS: u64 = 100;
const PING_MS: u64 = 1000;
const INFO_MS: u64 = 10_000;
const HELLO_MS: u64 = 2000;
const ASK_MS: u64 = 1000;
const TILT_TRIGGER_MS: u64 = 2000;
const TILT_PERIOD_MS: u64 = 30_000;

/// What a link leads to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    /// The master or a replica, by address.
    Data(Addr),
    /// A peer, by run id.
    Peer(String),
}

/// What a command was, to read its reply.
#[derive(Debug, Clone, Copy)]
enum Asked {
    Ping,
    Info,
    IsDown,
    Other,
}

/// Link health of one instance (master, replica or peer).
#[derive(Debug, Clone)]
struct Health {
    addr: Addr,
    runid: Option<String>,
    cc: Option<LinkId>,
    pc: Option<LinkId>,
    last_connect: Option<Millis>,
    ping_pending: Option<Millis>,
    last_ping: Millis,
    last_ok: Millis,
    last_info: Option<Millis>,
    last_hello: Millis,
    sdown: bool,
    /// Peers only: said the master is down, when.
    master_down: Option<Millis>,
    last_ask: Millis,
}

impl Health {
    fn new(addr: Addr, now: Millis) -> Health {
        Health {
            addr,
            runid: None,
            cc: None,
            pc: None,
            last_connect: None,
            ping_pending: None,
            last_ping: Millis::ZERO,
            last_ok: now,
            last_info: None,
            last_hello: Millis::ZERO,
            sdown: false,
            master_down: None,
            last_ask: Millis::ZERO,
        }
    }
}

/// The probe core.
#[derive(Debug)]
pub struct Probe {
    config: Config,
    myid: String,
    announce_host: Option<String>,
    down_after: u64,
    quorum: u32,
    odown: bool,
    /// Master first, then replicas (by address), then peers (by run id).
    instances: BTreeMap<Target, Health>,
    master: Addr,
    links: BTreeMap<LinkId, (Target, LinkKind)>,
    pending: BTreeMap<(LinkId, Tag), Asked>,
    next_id: u64,
    next_tick: Millis,
    last_tick: Option<Millis>,
    tilt_since: Option<Millis>,
    outputs: Vec<Output>,
    view: View,
}

fn args(words: &[&str]) -> Vec<Bytes> {
    words.iter().map(|w| Bytes::from(w.to_string())).collect()
}

impl Probe {
    fn master_ref(&self) -> InstanceRef {
        let name = self.config.masters[0].name.clone();
        InstanceRef::master(name, self.master.clone())
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn send(&mut self, link: LinkId, asked: Asked, args: Vec<Bytes>) {
        let tag = Tag(self.id());
        self.pending.insert((link, tag), asked);
        let command = EncodedCommand::new(args.iter().map(|a| &a[..]));
        self.outputs.push(Output::Send { link, tag, command });
    }

    fn connect(&mut self, target: &Target, kind: LinkKind) -> LinkId {
        let link = LinkId(self.id());
        let addr = self.instances[target].addr.clone();
        self.links.insert(link, (target.clone(), kind));
        self.outputs.push(Output::Connect { link, addr, kind });
        if kind == LinkKind::PubSub {
            self.send(link, Asked::Other, args(&["SUBSCRIBE", HELLO_CHANNEL]));
        }
        link
    }

    fn hello(&self) -> Option<Bytes> {
        let host = self.announce_host.clone()?;
        let h = Hello {
            sentinel_addr: Addr::new(host, self.config.server.port),
            runid: RunId::from(self.myid.clone()),
            current_epoch: self.config.sentinel.current_epoch,
            master_name: self.config.masters[0].name.clone(),
            master_addr: self.master.clone(),
            master_config_epoch: self.config.masters[0].config_epoch,
        };
        Some(Bytes::from(h.encode()))
    }

    fn tick(&mut self, now: Millis) {
        let targets: Vec<Target> = self.instances.keys().cloned().collect();
        for t in targets {
            let is_data = matches!(t, Target::Data(_));
            let h = &self.instances[&t];
            let may_connect = h.last_connect.is_none_or(|c| (now - c).as_u64() >= PING_MS);
            if may_connect && (h.cc.is_none() || (is_data && h.pc.is_none())) {
                let (need_cc, need_pc) = (h.cc.is_none(), is_data && h.pc.is_none());
                if need_cc {
                    let l = self.connect(&t, LinkKind::Command);
                    let h = self.instances.get_mut(&t).expect("known");
                    h.cc = Some(l);
                    h.ping_pending.get_or_insert(now);
                    self.send(l, Asked::Ping, args(&["PING"]));
                    self.instances.get_mut(&t).expect("known").last_ping = now;
                }
                if need_pc {
                    let l = self.connect(&t, LinkKind::PubSub);
                    self.instances.get_mut(&t).expect("known").pc = Some(l);
                }
                self.instances.get_mut(&t).expect("known").last_connect = Some(now);
            }
            let h = self.instances[&t].clone();
            let Some(cc) = h.cc else { continue };
            if h.ping_pending.is_none() && (now - h.last_ping).as_u64() >= PING_MS {
                self.send(cc, Asked::Ping, args(&["PING"]));
                let h = self.instances.get_mut(&t).expect("known");
                h.last_ping = now;
                h.ping_pending = Some(now);
            }
            if is_data && h.last_info.is_none_or(|i| (now - i).as_u64() >= INFO_MS) {
                self.send(cc, Asked::Info, args(&["INFO"]));
                self.instances.get_mut(&t).expect("known").last_info = Some(now);
            }
            if (now - h.last_hello).as_u64() >= HELLO_MS
                && let Some(payload) = self.hello()
            {
                let mut a = args(&["PUBLISH", HELLO_CHANNEL]);
                a.push(payload);
                self.send(cc, Asked::Other, a);
                self.instances.get_mut(&t).expect("known").last_hello = now;
            }
        }
        // TILT (§7.7): a late tick means the process stalled; flags
        // freeze for 30 s, as in redis-sentinel.
        if self.last_tick.is_some_and(|t| (now - t).as_u64() > TILT_TRIGGER_MS) {
            self.tilt_since = Some(now);
            self.outputs.push(Output::Event(Event::TiltOn));
        } else if self.tilt_since.is_some_and(|t| (now - t).as_u64() > TILT_PERIOD_MS) {
            self.tilt_since = None;
            self.outputs.push(Output::Event(Event::TiltOff));
        }
        self.last_tick = Some(now);
        if self.tilt_since.is_none() {
            self.check_down(now);
        }
    }

    fn check_down(&mut self, now: Millis) {
        let master_key = Target::Data(self.master.clone());
        let mref = self.master_ref();
        let mut events = Vec::new();
        for (t, h) in self.instances.iter_mut() {
            let elapsed = match (h.ping_pending, h.cc) {
                (Some(p), _) => (now - p).as_u64(),
                (None, None) => (now - h.last_ok).as_u64(),
                (None, Some(_)) => 0,
            };
            let down = elapsed > self.down_after;
            if down != h.sdown {
                h.sdown = down;
                let who = match t {
                    Target::Data(a) if *t == master_key => mref.clone(),
                    Target::Data(a) => {
                        InstanceRef::replica(a.clone(), &mref.name, mref.addr.clone())
                    }
                    Target::Peer(id) => InstanceRef::sentinel(
                        &RunId::from(id.clone()),
                        h.addr.clone(),
                        &mref.name,
                        mref.addr.clone(),
                    ),
                };
                events.push(if down { Event::SdownOn(who) } else { Event::SdownOff(who) });
            }
        }
        let sdown = self.instances[&master_key].sdown;
        let peers: Vec<Target> =
            self.instances.keys().filter(|t| matches!(t, Target::Peer(_))).cloned().collect();
        let mut votes = 1;
        for p in &peers {
            let h = self.instances.get_mut(p).expect("known");
            if h.master_down.is_some_and(|t| (now - t).as_u64() > 5 * ASK_MS) {
                h.master_down = None;
            }
            votes += u32::from(h.master_down.is_some());
        }
        let odown = sdown && votes >= self.quorum;
        if odown != self.odown {
            self.odown = odown;
            events.push(if odown {
                Event::OdownOn { master: mref.clone(), votes, quorum: self.quorum }
            } else {
                Event::OdownOff(mref.clone())
            });
        }
        self.outputs.extend(events.into_iter().map(Output::Event));
        if sdown {
            for p in peers {
                let h = self.instances[&p].clone();
                if let Some(cc) = h.cc.filter(|_| (now - h.last_ask).as_u64() >= ASK_MS) {
                    let (ip, port) = (self.master.host.clone(), self.master.port.to_string());
                    let epoch = self.config.sentinel.current_epoch.to_string();
                    let a = args(&["SENTINEL", "is-master-down-by-addr", &ip, &port, &epoch, "*"]);
                    self.send(cc, Asked::IsDown, a);
                    self.instances.get_mut(&p).expect("known").last_ask = now;
                }
            }
        }
    }

    fn on_hello(&mut self, now: Millis, payload: &[u8]) {
        let Some(h) = std::str::from_utf8(payload).ok().and_then(Hello::parse) else { return };
        if h.runid.as_str() == self.myid || h.master_name != self.config.masters[0].name {
            return;
        }
        let t = Target::Peer(h.runid.as_str().to_owned());
        if !self.instances.contains_key(&t) {
            let mut health = Health::new(h.sentinel_addr.clone(), now);
            health.runid = Some(h.runid.as_str().to_owned());
            self.instances.insert(t.clone(), health);
            let mref = self.master_ref();
            let who = InstanceRef::sentinel(&h.runid, h.sentinel_addr, &mref.name, mref.addr);
            self.outputs.push(Output::Event(Event::NewSentinel(who)));
        }
    }

    fn on_reply(&mut self, now: Millis, link: LinkId, tag: Tag, frame: Frame) {
        let Some(asked) = self.pending.remove(&(link, tag)) else { return };
        let Some((target, _)) = self.links.get(&link).cloned() else { return };
        match asked {
            Asked::Ping => {
                let valid = match &frame {
                    Frame::Simple(s) => s == "PONG",
                    Frame::Error(e) => e.starts_with("LOADING") || e.starts_with("MASTERDOWN"),
                    _ => false,
                };
                if let Some(h) = self.instances.get_mut(&target).filter(|_| valid) {
                    h.last_ok = now;
                    h.ping_pending = None;
                }
            }
            Asked::Info => {
                let Some(text) = frame.as_str() else { return };
                let report = parse_info(text);
                if let Some(h) = self.instances.get_mut(&target) {
                    h.runid = report.run_id.map(|r| r.as_str().to_owned());
                }
                if target == Target::Data(self.master.clone()) {
                    for r in report.replicas {
                        let t = Target::Data(r.clone());
                        if let std::collections::btree_map::Entry::Vacant(v) =
                            self.instances.entry(t)
                        {
                            v.insert(Health::new(r.clone(), now));
                            let mref = self.master_ref();
                            let who = InstanceRef::replica(r, &mref.name, mref.addr);
                            self.outputs.push(Output::Event(Event::NewReplica(who)));
                        }
                    }
                }
            }
            Asked::IsDown => {
                if let Frame::Array(items) = &frame
                    && let (Some(Frame::Integer(d)), Some(h)) =
                        (items.first(), self.instances.get_mut(&target))
                {
                    h.master_down = (*d == 1).then_some(now);
                }
            }
            Asked::Other => {}
        }
    }

    fn on_admin(&mut self, request: rsentinel::core::RequestId, c: AdminCommand, now: Millis) {
        let frame = match c {
            AdminCommand::Hello { payload } => {
                self.on_hello(now, &payload);
                Frame::Integer(1)
            }
            AdminCommand::IsMasterDownByAddr { ip, port, .. } => {
                let is_ours = ip.to_ascii_lowercase() == self.master.host
                    && port == i64::from(self.master.port);
                let down = is_ours
                    && self.tilt_since.is_none()
                    && self.instances[&Target::Data(self.master.clone())].sdown;
                Frame::Array(vec![
                    Frame::Integer(i64::from(down)),
                    Frame::bulk("*"),
                    Frame::Integer(0),
                ])
            }
            _ => Frame::error("ERR unknown command"),
        };
        self.outputs.push(Output::Reply { request, frame, needs_persist: false });
    }

    fn rebuild_view(&mut self) {
        let mref = self.master_ref();
        let inst = |name: String, h: &Health| InstanceView {
            name,
            addr: h.addr.clone(),
            runid: h.runid.clone().map(RunId::from),
            flags: if h.sdown { vec!["s_down"] } else { vec![] },
            ping_pending_since: h.ping_pending,
            last_ok_ping_reply: h.last_ok,
            down_after_ms: self.down_after,
            ..InstanceView::default()
        };
        let mut master = MasterView {
            instance: inst(mref.name.clone(), &self.instances[&Target::Data(self.master.clone())]),
            quorum: self.quorum,
            client_addr: self.master.clone(),
            ..MasterView::default()
        };
        if self.odown {
            master.instance.flags.push("o_down");
        }
        master.instance.flags.push("master");
        for (t, h) in &self.instances {
            match t {
                Target::Data(a) if *a == self.master => {}
                Target::Data(a) => master
                    .replicas
                    .push(ReplicaView { instance: inst(a.name(), h), ..Default::default() }),
                Target::Peer(id) => master.sentinels.push(SentinelView {
                    instance: inst(id.clone(), h),
                    last_hello: None,
                    voted_leader: None,
                }),
            }
        }
        self.view = View {
            myid: RunId::from(self.myid.clone()),
            current_epoch: self.config.sentinel.current_epoch,
            tilt_since: self.tilt_since,
            masters: [std::sync::Arc::new(master)].into_iter().collect(),
            ..View::default()
        };
    }
}

impl Core for Probe {
    fn boot(mut config: Config, seed: u64, now: Millis) -> Probe {
        let mut outputs = Vec::new();
        if config.sentinel.myid.is_none() {
            config.sentinel.myid = Some(RunId::from(Rng::new(seed).hex40()));
            outputs.push(Output::Persist(Box::new(config.clone())));
        }
        let m = config.masters[0].clone();
        let mut instances = BTreeMap::new();
        instances.insert(Target::Data(m.addr.clone()), Health::new(m.addr.clone(), now));
        let mut p = Probe {
            myid: config.sentinel.myid.clone().expect("set").as_str().to_owned(),
            config,
            announce_host: None,
            down_after: m.down_after_ms,
            quorum: m.quorum,
            odown: false,
            instances,
            master: m.addr,
            links: BTreeMap::new(),
            pending: BTreeMap::new(),
            next_id: 0,
            next_tick: now,
            last_tick: None,
            tilt_since: None,
            outputs,
            view: View::default(),
        };
        p.rebuild_view();
        p
    }

    fn handle(&mut self, now: Millis, input: Input) {
        match input {
            Input::Timeout if now >= self.next_tick => {
                self.tick(now);
                self.next_tick = now + Millis(TICK_MS);
            }
            Input::LinkUp { link, local_addr, .. } => {
                if self.announce_host.is_none() {
                    self.announce_host = local_addr.map(|a| a.host.into_string());
                }
                let _ = link;
            }
            Input::LinkDown { link, .. } => {
                if let Some((t, kind)) = self.links.remove(&link)
                    && let Some(h) = self.instances.get_mut(&t)
                {
                    match kind {
                        LinkKind::Command => h.cc = None,
                        LinkKind::PubSub => h.pc = None,
                    }
                }
                self.pending.retain(|(l, _), _| *l != link);
            }
            Input::Reply { link, tag, frame } => self.on_reply(now, link, tag, frame),
            Input::Message { payload, .. } => self.on_hello(now, &payload),
            Input::Admin { request, command } => self.on_admin(request, command, now),
            _ => {}
        }
        self.rebuild_view();
    }

    fn poll_output(&mut self) -> Option<Output> {
        if self.outputs.is_empty() { None } else { Some(self.outputs.remove(0)) }
    }

    fn next_deadline(&self) -> Option<Millis> {
        Some(self.next_tick)
    }

    fn view(&self) -> &View {
        &self.view
    }
}
