//! Golden scripts for the core (`src/core/testscripts/`), run with
//! goldenscript as toydb runs its Raft scripts. `UPDATE_GOLDENFILES=1 cargo
//! test` regenerates the expected output; review every diff like code.
//!
//! The runner drives one [`Sentinel`] against a tiny fake world of Redis
//! servers and peer sentinels that answer at once (same millisecond), so a
//! script reads as a timeline. Commands:
//!
//! - `start [seed=N] [CONFIG-LINE...]`: a sentinel at t=0 with myid
//!   `5e0...` (unless given), port 26379, and the given config lines.
//! - `redis ADDR [up|down|hang] [role=master|slave] [runid=ID] [replicas=A/B]
//!   [master=ADDR] [link=up|down] [reply=ERR]`: define or change a fake
//!   Redis. `up` answers everything, `hang` accepts connections and answers
//!   nothing, `down` refuses connections and drops open ones. `reply` makes
//!   PING answer with that error instead of `+PONG`.
//!   `priority=N offset=N` go in a replica's INFO; `slaveof=ignore` makes
//!   it ignore `SLAVEOF` (otherwise `SLAVEOF NO ONE` makes it a master and
//!   `SLAVEOF h p` a replica of h:p whose link is down until `link=up`);
//!   `hold=1` keeps its replies until `deliver ADDR` (`hold=0` stops that).
//!   `version=V` is its INFO `redis_version` (default 7.0.15). `FAILOVER TO
//!   h p ...` (Redis 6.2) swaps roles with the replica h:p at once, unless
//!   `failover=ignore` (answers `+OK`, does nothing) or `failover=ERR...`
//!   (answers that error); `FAILOVER ABORT` answers `+OK` and ends a
//!   `handover=STATE` (its INFO's `master_failover_state`, default none).
//! - `sentinel ADDR [up|down|hang] runid=ID [down=0|1] [vote=RUNID:EPOCH|grant]
//!   [config=ADDR/EPOCH]`: a fake peer answering PING, PUBLISH and
//!   is-master-down-by-addr; with `vote=grant` it votes as a sentinel does
//!   (first requester per epoch). `config` is the master address and
//!   config epoch its `SENTINEL MASTER` and `GET-MASTER-ADDR-BY-NAME` give
//!   for any name (without it they answer that no such master exists).
//! - `deliver ADDR`: the replies `hold=1` kept, in order.
//! - `run MS|by=MS [verbose]`: move time to each deadline in turn up to the
//!   target (absolute, or relative with `by`), feeding `Timeout` (the
//!   shell's loop).
//! - `tick MS|by=MS`: jump straight there and feed one `Timeout` (a stall).
//! - `hello ADDR PAYLOAD`: someone publishes a hello on that Redis.
//! - `admin ARG...`: a client command.
//! - `dns NAME IP`: from now on, connecting to host NAME reaches the node
//!   at IP (and `LinkUp` reports IP); a name without an entry does not
//!   resolve (the connection fails).
//! - `status`: the view, one line per instance, and the script counters.
//! - `script ID [pid=N] [code=N] [signal=N]`: the shell reports script job
//!   ID started as process N (`pid`), and/or exited (`code`, `signal`).
//!
//! Every output prints as `t=<ms> <output>`. Without `verbose`, the
//! periodic PING/INFO/PUBLISH and link set-up commands are hidden, as well
//! as the fake world's answers.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::error::Error;
use std::fmt::Write as _;

use bytes::Bytes;
use test_each_file::test_each_path;

use super::command::AdminCommand;
use super::hello::HELLO_CHANNEL;
use super::ids::Addr;
use super::input::{Input, LinkId, RequestId, Tag};
use super::output::{LinkKind, Output};
use super::scripts::ScriptId;
use super::sentinel::Sentinel;
use super::timer::Millis;
use crate::resp::Frame;

test_each_path! { in "src/core/testscripts" as scripts => test_goldenscript }

fn test_goldenscript(path: &std::path::Path) {
    goldenscript::run(&mut Runner::default(), path).expect("goldenscript failed")
}

const MYID: &str = "5e0000000000000000000000000000000000000e";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Up,
    Down,
    Hang,
}

#[derive(Debug, Clone)]
struct Node {
    state: State,
    sentinel: bool,
    role: String,
    runid: String,
    replicas: Vec<String>,
    master: Option<String>,
    link_up: bool,
    ping_error: Option<String>,
    down: bool,
    vote: Option<(String, i64)>,
    grant: bool,
    /// With `grant`: the vote per master address, and the current epoch.
    votes: BTreeMap<String, (String, i64)>,
    current_epoch: i64,
    /// A fake peer's view of every master: address and config epoch.
    config: Option<(String, u64)>,
    obey: bool,
    hold: bool,
    priority: u32,
    offset: u64,
    version: String,
    failover: Option<String>,
    handover: Option<String>,
    /// `master_replid` / `master_replid2`, when set (`replid=`, `replid2=`).
    replid: Option<String>,
    replid2: Option<String>,
}

impl Node {
    fn new(sentinel: bool) -> Node {
        Node {
            state: State::Up,
            sentinel,
            role: "master".into(),
            runid: String::new(),
            replicas: Vec::new(),
            master: None,
            link_up: true,
            ping_error: None,
            down: false,
            vote: None,
            grant: false,
            votes: BTreeMap::new(),
            current_epoch: 0,
            config: None,
            obey: true,
            hold: false,
            priority: 100,
            offset: 100,
            version: "7.0.15".into(),
            failover: None,
            handover: None,
            replid: None,
            replid2: None,
        }
    }

    fn info(&self) -> String {
        let mut s = format!(
            "# Server\r\nredis_version:{}\r\nrun_id:{}\r\n# Replication\r\nrole:{}\r\n",
            self.version, self.runid, self.role
        );
        if self.role == "slave" {
            let (host, port) = self.master.as_deref().unwrap_or("?:0").rsplit_once(':').unwrap();
            let link = if self.link_up { "up" } else { "down" };
            write!(s, "master_host:{host}\r\nmaster_port:{port}\r\nmaster_link_status:{link}\r\n")
                .unwrap();
            if !self.link_up {
                s.push_str("master_link_down_since_seconds:5\r\n");
            }
            write!(s, "slave_repl_offset:{}\r\nslave_priority:{}\r\n", self.offset, self.priority)
                .unwrap();
        }
        if let Some(state) = &self.handover {
            write!(s, "master_failover_state:{state}\r\n").unwrap();
        }
        for (key, id) in [("master_replid", &self.replid), ("master_replid2", &self.replid2)] {
            if let Some(id) = id {
                write!(s, "{key}:{id:0<40}\r\n").unwrap();
            }
        }
        for (i, r) in self.replicas.iter().enumerate() {
            let (ip, port) = r.rsplit_once(':').unwrap();
            write!(s, "slave{i}:ip={ip},port={port},state=online,offset=100,lag=0\r\n").unwrap();
        }
        s
    }
}

#[derive(Default)]
struct Runner {
    sentinel: Option<Sentinel>,
    now: Millis,
    nodes: BTreeMap<String, Node>,
    /// Open links: address and kind.
    links: BTreeMap<LinkId, (String, LinkKind)>,
    /// Pub/sub links subscribed to the hello channel.
    subscribed: BTreeSet<LinkId>,
    inputs: VecDeque<Input>,
    /// Replies of `hold=1` nodes, by address, until `deliver`.
    held: Vec<(String, Input)>,
    next_request: u64,
    /// `dns NAME IP`: where each hostname leads.
    dns: BTreeMap<String, String>,
}

/// The target time of `run`/`tick`: `MS` absolute, or `by=MS` relative.
fn parse_time(now: Millis, command: &goldenscript::Command) -> Result<Millis, Box<dyn Error>> {
    let mut args = command.consume_args();
    if let Some(by) = args.take_key("by") {
        return Ok(now + Millis(by.parse()?));
    }
    Ok(Millis(args.next_pos().ok_or("time expected")?.parse()?))
}

/// `ip:port`, with a default port when only an ip is given (goldenscript
/// needs quotes around a colon; `ip@port` works too).
fn full_addr(addr: &str, port: u16) -> String {
    let addr = addr.replace('@', ":");
    if addr.contains(':') { addr } else { format!("{addr}:{port}") }
}

fn show_args(args: &[Bytes]) -> String {
    args.iter()
        .map(|a| {
            let s = String::from_utf8_lossy(a);
            if s.is_empty() || s.contains([' ', '"']) { format!("{s:?}") } else { s.into_owned() }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn show_frame(f: &Frame) -> String {
    match f {
        Frame::Simple(s) => format!("+{s}"),
        Frame::Error(s) => format!("-{s}"),
        Frame::Integer(i) => format!(":{i}"),
        Frame::Bulk(b) => format!("{:?}", String::from_utf8_lossy(b)),
        Frame::Null => "(nil)".into(),
        Frame::NullArray => "(nil array)".into(),
        Frame::Array(v) | Frame::Push(v) => {
            format!("[{}]", v.iter().map(show_frame).collect::<Vec<_>>().join(", "))
        }
        Frame::Map(v) => format!(
            "{{{}}}",
            v.iter()
                .map(|(k, v)| format!("{}: {}", show_frame(k), show_frame(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => format!("{other:?}"),
    }
}

fn show_persist(c: &crate::config::Config) -> String {
    let mut s = format!("persist current-epoch={}", c.sentinel.current_epoch);
    for m in &c.masters {
        write!(
            s,
            " {}@{}:config-epoch={},leader-epoch={},quorum={},replicas=[{}],sentinels=[{}]",
            m.name,
            m.addr.name(),
            m.config_epoch,
            m.leader_epoch,
            m.quorum,
            m.known_replicas.iter().map(Addr::name).collect::<Vec<_>>().join(","),
            m.known_sentinels
                .iter()
                .map(|k| format!("{}/{}", k.addr.name(), &k.runid.as_str()[..4]))
                .collect::<Vec<_>>()
                .join(","),
        )
        .unwrap();
    }
    s
}

/// Whether a send is routine (hidden unless verbose).
fn is_routine(args: &[Bytes]) -> bool {
    let name = String::from_utf8_lossy(&args[0]).to_ascii_uppercase();
    let setname = args.get(1).is_some_and(|a| a.eq_ignore_ascii_case(b"SETNAME"));
    matches!(name.as_str(), "PING" | "INFO" | "PUBLISH" | "AUTH" | "SUBSCRIBE")
        || (name == "CLIENT" && setname)
}

impl Runner {
    fn core(&mut self) -> Result<&mut Sentinel, Box<dyn Error>> {
        self.sentinel.as_mut().ok_or_else(|| "no sentinel: use start".into())
    }

    /// Drains outputs, lets the world react, feeds its answers, repeatedly.
    fn settle(&mut self, out: &mut String, verbose: bool) -> Result<(), Box<dyn Error>> {
        for _ in 0..100_000 {
            let now = self.now;
            while let Some(o) = self.core()?.poll_output() {
                let line = self.show_and_react(&o, verbose);
                if let Some(line) = line {
                    writeln!(out, "t={} {line}", now.0)?;
                }
            }
            let Some(input) = self.inputs.pop_front() else {
                let core = self.core()?;
                if let Some(d) = core.next_deadline() {
                    assert!(d > now, "deadline {d} not after now {now}");
                }
                return Ok(());
            };
            self.core()?.handle(now, input);
        }
        Err("the world never settles".into())
    }

    fn show_and_react(&mut self, o: &Output, verbose: bool) -> Option<String> {
        match o {
            Output::Connect { link, addr, kind } => {
                // A name leads where `dns` says; an unknown one does not resolve.
                let target = match self.dns.get(addr.host.as_str()) {
                    Some(ip) => Some(Addr::new(ip.clone(), addr.port)),
                    None if addr.host.parse::<::core::net::IpAddr>().is_ok() => Some(addr.clone()),
                    None => None,
                };
                let node = target
                    .as_ref()
                    .and_then(|t| self.nodes.get(&t.name()))
                    .filter(|n| n.state != State::Down);
                if let (Some(_), Some(target)) = (node, target) {
                    self.links.insert(*link, (target.name(), *kind));
                    let local = Addr::new("10.0.0.100", 50000 + link.0 as u16);
                    self.inputs.push_back(Input::LinkUp {
                        link: *link,
                        local_addr: Some(local),
                        remote_addr: Some(target),
                    });
                } else {
                    let reason = "connection refused".into();
                    self.inputs.push_back(Input::LinkDown { link: *link, reason });
                }
                let kind = if *kind == LinkKind::Command { "cmd" } else { "pubsub" };
                Some(format!("connect link={} {} {kind}", link.0, addr.name()))
            }
            Output::Disconnect { link } => {
                self.links.remove(link);
                self.subscribed.remove(link);
                Some(format!("disconnect link={}", link.0))
            }
            Output::Send { link, tag, command } => {
                let args = &command.args();
                self.answer(*link, *tag, args);
                (verbose || !is_routine(args))
                    .then(|| format!("send link={} tag={} {}", link.0, tag.0, show_args(args)))
            }
            Output::Event(e) => Some(format!("event {e}")),
            Output::Persist(c) => Some(show_persist(c)),
            Output::Reply { request, frame, needs_persist } => Some(format!(
                "reply req={} {}{}",
                request.0,
                show_frame(frame),
                if *needs_persist { " (needs persist)" } else { "" }
            )),
            Output::RunScript { id, path, args } => {
                let args: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.clone())).collect();
                Some(format!("run-script id={} {path} {}", id.0, show_args(&args)))
            }
            Output::KillScript { id } => Some(format!("kill-script id={}", id.0)),
            Output::Exit(code) => Some(format!("exit {code}")),
            Output::LogLevel(level) => Some(format!("loglevel {}", level.as_str())),
        }
    }

    /// The fake world answers a command.
    fn answer(&mut self, link: LinkId, tag: Tag, args: &[Bytes]) {
        let Some((addr, _)) = self.links.get(&link).cloned() else { return };
        let Some(node) = self.nodes.get(&addr).cloned() else { return };
        if node.state != State::Up {
            return;
        }
        let name = String::from_utf8_lossy(&args[0]).to_ascii_uppercase();
        let arg = |i: usize| {
            args.get(i).map(|a| String::from_utf8_lossy(a).into_owned()).unwrap_or_default()
        };
        let frame = match name.as_str() {
            "PING" => match &node.ping_error {
                Some(e) => Frame::Error(e.clone()),
                None => Frame::Simple("PONG".into()),
            },
            "INFO" if !node.sentinel => Frame::bulk(node.info()),
            "SUBSCRIBE" => {
                self.subscribed.insert(link);
                Frame::Array(vec![
                    Frame::bulk("subscribe"),
                    Frame::bulk(HELLO_CHANNEL),
                    Frame::Integer(1),
                ])
            }
            "PUBLISH" => {
                if !node.sentinel {
                    self.publish(&addr, &arg(2));
                }
                Frame::Integer(1)
            }
            "SENTINEL" if node.sentinel && arg(1).eq_ignore_ascii_case("MASTER") => {
                match &node.config {
                    Some((_, epoch)) => Frame::Array(vec![
                        Frame::bulk("name"),
                        Frame::bulk(arg(2)),
                        Frame::bulk("config-epoch"),
                        Frame::bulk(epoch.to_string()),
                    ]),
                    None => Frame::error("ERR No such master with that name"),
                }
            }
            "SENTINEL"
                if node.sentinel && arg(1).eq_ignore_ascii_case("GET-MASTER-ADDR-BY-NAME") =>
            {
                match &node.config {
                    Some((addr, _)) => {
                        let (ip, port) = addr.rsplit_once(':').unwrap_or((addr, "6379"));
                        Frame::Array(vec![Frame::bulk(ip), Frame::bulk(port)])
                    }
                    None => Frame::Null,
                }
            }
            "SENTINEL" if node.sentinel => {
                let (runid, epoch) = (arg(5), arg(4).parse::<i64>().unwrap_or(0));
                let master = format!("{}:{}", arg(2), arg(3));
                if node.grant && runid != "*" {
                    // A sentinel's rule: adopt a newer epoch, then one vote
                    // per master and epoch, never in an epoch older than the
                    // current one.
                    let n = self.nodes.get_mut(&addr).unwrap();
                    n.current_epoch = n.current_epoch.max(epoch);
                    let free = n.votes.get(&master).is_none_or(|(_, e)| *e < epoch);
                    if free && n.current_epoch <= epoch {
                        n.votes.insert(master.clone(), (runid, epoch));
                    }
                }
                let node = &self.nodes[&addr];
                let vote = if node.grant { node.votes.get(&master) } else { node.vote.as_ref() };
                let (leader, epoch) = vote.cloned().unwrap_or(("*".into(), 0));
                Frame::Array(vec![
                    Frame::Integer(node.down.into()),
                    Frame::bulk(leader),
                    Frame::Integer(epoch),
                ])
            }
            "SLAVEOF" if !node.sentinel && node.obey => {
                let n = self.nodes.get_mut(&addr).unwrap();
                if arg(1).eq_ignore_ascii_case("NO") {
                    n.role = "master".into();
                    n.master = None;
                } else {
                    n.role = "slave".into();
                    n.master = Some(format!("{}:{}", arg(1), arg(2)));
                    n.link_up = false;
                }
                Frame::ok()
            }
            "FAILOVER" if !node.sentinel => self.failover(&addr, &node, &arg(1), &arg(2), &arg(3)),
            _ => Frame::ok(),
        };
        let reply = Input::Reply { link, tag, frame };
        if node.hold {
            self.held.push((addr, reply));
        } else {
            self.inputs.push_back(reply);
        }
    }

    /// `FAILOVER TO host port ...` on the Redis at `addr`: roles swap at
    /// once (what Redis does once the replica caught up).
    fn failover(&mut self, addr: &str, node: &Node, sub: &str, host: &str, port: &str) -> Frame {
        if !sub.eq_ignore_ascii_case("TO") {
            if let Some(n) = self.nodes.get_mut(addr).filter(|n| n.handover.is_some()) {
                n.handover = Some("no-failover".into());
            }
            return Frame::ok();
        }
        match node.failover.as_deref() {
            Some("ignore") => return Frame::ok(),
            Some(error) => return Frame::Error(error.to_owned()),
            None => {}
        }
        let target = format!("{host}:{port}");
        let Some(t) = self.nodes.get_mut(&target) else {
            return Frame::error("ERR FAILOVER target HOST and PORT is not a replica.");
        };
        t.role = "master".into();
        t.master = None;
        t.replicas = vec![addr.to_owned()];
        let n = self.nodes.get_mut(addr).unwrap();
        n.role = "slave".into();
        n.master = Some(target.clone());
        n.link_up = true;
        n.replicas.retain(|r| *r != target);
        Frame::ok()
    }

    /// Delivers a hello published on the Redis at `addr` to our subscribers.
    fn publish(&mut self, addr: &str, payload: &str) {
        for link in &self.subscribed {
            if self.links.get(link).is_some_and(|(a, _)| a == addr) {
                self.inputs.push_back(Input::Message {
                    link: *link,
                    channel: Bytes::from_static(HELLO_CHANNEL.as_bytes()),
                    payload: Bytes::copy_from_slice(payload.as_bytes()),
                });
            }
        }
    }

    /// Applies a node definition; drops its links when it goes down.
    fn define(
        &mut self,
        command: &goldenscript::Command,
        sentinel: bool,
    ) -> Result<(), Box<dyn Error>> {
        let mut args = command.consume_args();
        let addr = args.next_pos().ok_or("address expected")?;
        let addr = full_addr(addr, if sentinel { 26379 } else { 6379 });
        let mut node = self.nodes.get(&addr).cloned().unwrap_or_else(|| Node::new(sentinel));
        for a in args {
            match a {
                goldenscript::Argument::Positional(s) => {
                    node.state = match s.as_str() {
                        "up" => State::Up,
                        "down" => State::Down,
                        "hang" => State::Hang,
                        _ => return Err(format!("bad state {s}").into()),
                    }
                }
                goldenscript::Argument::KeyValue(k, v) => match k.as_str() {
                    "role" => node.role = v.clone(),
                    "runid" => node.runid = format!("{v:0<40}"),
                    "replicas" => {
                        node.replicas = v
                            .split('/')
                            .filter(|s| !s.is_empty())
                            .map(|a| full_addr(a, 6379))
                            .collect()
                    }
                    "master" => node.master = Some(full_addr(v, 6379)),
                    "link" => node.link_up = v == "up",
                    "reply" => node.ping_error = (!v.is_empty()).then(|| v.clone()),
                    "down" => node.down = v == "1",
                    "vote" if v == "grant" => node.grant = true,
                    "vote" => {
                        let (r, e) = v.split_once(':').ok_or("vote=RUNID:EPOCH")?;
                        node.vote = Some((format!("{r:0<40}"), e.parse()?));
                    }
                    "config" => {
                        let (a, e) = v.split_once('/').ok_or("config=ADDR/EPOCH")?;
                        node.config = Some((full_addr(a, 6379), e.parse()?));
                    }
                    "slaveof" => node.obey = v != "ignore",
                    "hold" => node.hold = v == "1",
                    "priority" => node.priority = v.parse()?,
                    "offset" => node.offset = v.parse()?,
                    "version" => node.version = v.clone(),
                    "failover" => node.failover = (!v.is_empty()).then(|| v.clone()),
                    "handover" => node.handover = (!v.is_empty()).then(|| v.clone()),
                    "replid" => node.replid = Some(v.clone()),
                    "replid2" => node.replid2 = Some(v.clone()),
                    _ => return Err(format!("unknown key {k}").into()),
                },
                _ => return Err("bad argument".into()),
            }
        }
        if node.state == State::Down {
            let gone: Vec<LinkId> =
                self.links.iter().filter(|(_, (a, _))| *a == addr).map(|(l, _)| *l).collect();
            self.held.retain(|(a, _)| *a != addr);
            for link in gone {
                self.links.remove(&link);
                self.subscribed.remove(&link);
                self.inputs.push_back(Input::LinkDown { link, reason: "connection reset".into() });
            }
        }
        self.nodes.insert(addr, node);
        Ok(())
    }

    fn status(&mut self) -> Result<String, Box<dyn Error>> {
        let view = self.sentinel.as_mut().ok_or("no sentinel")?.fresh_view();
        let mut s = format!("epoch={} tilt={:?}", view.current_epoch, view.tilt_since.map(|t| t.0))
            + &if view.total_tilt > 0 {
                format!(" total_tilt={}\n", view.total_tilt)
            } else {
                "\n".to_owned()
            };
        if view.scripts_queue_length > 0 {
            writeln!(
                s,
                "scripts running={} queued={}",
                view.running_scripts, view.scripts_queue_length
            )?;
        }
        for m in &view.masters {
            let i = &m.instance;
            if let Some(state) = m.failover_state {
                writeln!(s, "failover {} state={state} client={}", i.name, m.client_addr.name())?;
            }
            writeln!(
                s,
                "master {} {} flags={} config-epoch={} quorum={} sdown_since={:?} odown_since={:?} role={} runid={}",
                i.name,
                i.addr.name(),
                i.flags.join(","),
                m.config_epoch,
                m.quorum,
                i.sdown_since.map(|t| t.0),
                m.odown_since.map(|t| t.0),
                i.role_reported,
                i.runid.as_ref().map_or("?", |r| &r.as_str()[..4]),
            )?;
            for r in &m.replicas {
                let i = &r.instance;
                writeln!(
                    s,
                    "  replica {} flags={} role={} master={} link={} pending={}",
                    i.name,
                    i.flags.join(","),
                    i.role_reported,
                    r.master_addr.as_ref().map_or("?".into(), Addr::name),
                    if r.master_link_up { "up" } else { "down" },
                    i.link_pending_commands,
                )?;
            }
            for p in &m.sentinels {
                let i = &p.instance;
                writeln!(
                    s,
                    "  sentinel {} {} flags={} refcount={} voted={:?}",
                    &i.name[..4],
                    i.addr.name(),
                    i.flags.join(","),
                    i.link_refcount,
                    p.voted_leader.as_ref().map(|(r, e)| format!("{}:{e}", &r.as_str()[..4])),
                )?;
            }
        }
        Ok(s)
    }
}

impl goldenscript::Runner for Runner {
    type Command = goldenscript::Command;

    fn run(
        &mut self,
        command: &Self::Command,
        _: &goldenscript::Context,
    ) -> Result<String, Box<dyn Error>> {
        let mut out = String::new();
        let pos: Vec<String> = command
            .args
            .iter()
            .filter_map(|a| match a {
                goldenscript::Argument::Positional(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        let verbose = pos.iter().any(|p| p == "verbose");
        match command.name.as_str() {
            "start" => {
                let mut text = format!("port 26379\nsentinel myid {MYID}\n");
                for line in pos.iter().filter(|p| *p != "verbose") {
                    text.push_str(line);
                    text.push('\n');
                }
                let config = crate::config::parse(&text).map_err(|e| e.render("test"))?;
                let seed = command.consume_args().take_key("seed").map_or(Ok(1), str::parse)?;
                self.now = Millis::ZERO;
                self.sentinel = Some(Sentinel::new(config, seed, self.now));
                self.settle(&mut out, verbose)?;
            }
            "redis" => self.define(command, false)?,
            "sentinel" => self.define(command, true)?,
            "run" => {
                let target = parse_time(self.now, command)?;
                self.settle(&mut out, verbose)?;
                while let Some(d) = self.core()?.next_deadline().filter(|d| *d <= target) {
                    self.now = d;
                    self.inputs.push_back(Input::Timeout);
                    self.settle(&mut out, verbose)?;
                }
                self.now = target;
            }
            "tick" => {
                self.now = parse_time(self.now, command)?;
                self.inputs.push_back(Input::Timeout);
                self.settle(&mut out, verbose)?;
            }
            "hello" => {
                self.publish(&full_addr(&pos[0], 6379), &pos[1]);
                self.settle(&mut out, verbose)?;
            }
            "admin" => {
                self.next_request += 1;
                let args: Vec<Bytes> =
                    pos.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())).collect();
                let request = RequestId(self.next_request);
                // As the server: a refusal of the parser never reaches the core.
                match AdminCommand::parse(&args) {
                    Ok(command) => self.inputs.push_back(Input::Admin { request, command }),
                    Err(frame) => writeln!(
                        out,
                        "t={} reply req={} {}",
                        self.now.0,
                        request.0,
                        show_frame(&frame)
                    )?,
                }
                self.settle(&mut out, verbose)?;
            }
            "deliver" => {
                let addr = pos.first().ok_or("address expected")?;
                let addr = [6379, 26379]
                    .map(|port| full_addr(addr, port))
                    .into_iter()
                    .find(|a| self.nodes.contains_key(a))
                    .ok_or("unknown node")?;
                let (now, later): (Vec<_>, Vec<_>) =
                    std::mem::take(&mut self.held).into_iter().partition(|(a, _)| *a == addr);
                self.held = later;
                self.inputs.extend(now.into_iter().map(|(_, i)| i));
                self.settle(&mut out, verbose)?;
            }
            "dns" => {
                let [name, ip] = &pos[..] else { return Err("dns NAME IP expected".into()) };
                self.dns.insert(name.clone(), ip.clone());
            }
            "status" => out.push_str(&self.status()?),
            "script" => {
                let mut args = command.consume_args();
                let id = ScriptId(args.next_pos().ok_or("job id expected")?.parse()?);
                let num = |v: Option<&str>| v.map(str::parse::<i32>).transpose();
                if let Some(pid) = args.take_key("pid") {
                    self.inputs.push_back(Input::ScriptStarted { id, pid: pid.parse()? });
                }
                let (code, signal) = (num(args.take_key("code"))?, num(args.take_key("signal"))?);
                if code.is_some() || signal.is_some() {
                    self.inputs.push_back(Input::ScriptExited { id, code, signal });
                }
                self.settle(&mut out, verbose)?;
            }
            "deadline" => {
                let t = self.core()?.next_timer();
                writeln!(out, "{:?}", t.map(|(at, timer)| (at.0, timer)))?;
            }
            name => return Err(format!("unknown command {name}").into()),
        }
        // Inputs caused by node definitions (links dropped) are fed at once.
        if !self.inputs.is_empty() {
            self.settle(&mut out, verbose)?;
        }
        Ok(out)
    }
}
