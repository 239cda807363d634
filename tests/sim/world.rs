//! The simulated world: N sentinel cores, Redis servers, the network between
//! them, one virtual clock, an event trace, fault injection and the
//! invariant checker.
//!
//! # The contract with the core
//!
//! - `Output::Connect` → a `Syn` travels to the target; the target answers
//!   (the kernel does, even for a paused process) and `Input::LinkUp` comes
//!   back; a dead target refuses (`Input::LinkDown`), an unreachable one
//!   times out after [`CONNECT_TIMEOUT_MS`].
//! - `Output::Send` → the command travels to the target, which answers in
//!   order (`Input::Reply`). Commands may be sent before `LinkUp` (hiredis
//!   does): they queue behind the `Syn`.
//! - A peer sentinel answers `PING`, `AUTH`, `CLIENT ...` itself (that is
//!   the shell's job); everything else (`SENTINEL ...`, `PUBLISH`) goes to
//!   its core as `Input::Admin`, and the core's `Output::Reply` goes back.
//! - A killed process: links to it get `LinkDown` (if the reset can reach
//!   the owner), new connects are refused. A paused process (SIGSTOP):
//!   connects succeed, nothing is answered, everything is handled in order
//!   at resume. A partition: messages across it are lost and the connection
//!   goes silent ("severed"); at heal, severed connections get `LinkDown`.
//!
//! # Time
//!
//! [`World::step`] handles exactly one thing: the earliest of a scheduled
//! fault, a network delivery, or a sentinel's deadline (ties in that
//! order), then checks the invariants. The clock jumps to it (quinn's
//! `Pair::step`). A cap on steps at one instant catches livelock.
//!
//! # Files
//!
//! This file holds the types, driving, observation and the sentinels'
//! outputs; `world/network.rs` the connections and deliveries,
//! `world/servers.rs` what Redis servers and peer sentinels answer,
//! `world/faults.rs` the faults and process lifecycles,
//! `world/invariants.rs` the checks that need the whole world.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;
use rsentinel::config::{Config, MasterConfig};
use rsentinel::core::{
    Addr, Event, Input, LinkId, LinkKind, Millis, Output, RequestId, Rng, Sentinel, Tag, View,
};
use rsentinel::resp::Frame;

use crate::check::Checker;
use crate::net::{ConnId, Dir, Net, NetConfig, NodeId};
use crate::redis::{Redis, RedisRole};

#[path = "world/faults.rs"]
mod faults;
#[path = "world/invariants.rs"]
mod invariants;
#[path = "world/network.rs"]
mod network;
#[path = "world/servers.rs"]
mod servers;

/// A connect to an unreachable address fails after this long.
pub const CONNECT_TIMEOUT_MS: u64 = 1000;
/// Steps allowed at one instant before we call it a livelock.
pub const MAX_STEPS_PER_INSTANT: u64 = 50_000;
/// The name of the first monitored master (group 0): the only one unless
/// [`Params::masters`] says more.
pub const MASTER: &str = "mymaster";

/// What the world needs from a sentinel core. Implemented by the real
/// [`Sentinel`]; tests may plug in a double.
pub trait Core: Sized {
    /// Boots from a config (the "disk").
    fn boot(config: Config, seed: u64, now: Millis) -> Self;
    /// See [`Sentinel::handle`].
    fn handle(&mut self, now: Millis, input: Input);
    /// See [`Sentinel::poll_output`].
    fn poll_output(&mut self) -> Option<Output>;
    /// See [`Sentinel::next_deadline`].
    fn next_deadline(&self) -> Option<Millis>;
    /// See [`Sentinel::view`].
    fn view(&self) -> &View;
    /// See [`Sentinel::set_vote_desync`]; a double may ignore it.
    fn set_vote_desync(&mut self, _bound: Millis) {}
}

impl Core for Sentinel {
    fn boot(config: Config, seed: u64, now: Millis) -> Self {
        Sentinel::new(config, seed, now)
    }
    fn handle(&mut self, now: Millis, input: Input) {
        Sentinel::handle(self, now, input);
        // The checks read the state after every input; the daemon's view
        // may lag by `VIEW_REFRESH`, which no check is about.
        self.fresh_view();
    }
    fn poll_output(&mut self) -> Option<Output> {
        Sentinel::poll_output(self)
    }
    fn next_deadline(&self) -> Option<Millis> {
        Sentinel::next_deadline(self)
    }
    fn view(&self) -> &View {
        Sentinel::view(self)
    }
    fn set_vote_desync(&mut self, bound: Millis) {
        Sentinel::set_vote_desync(self, bound)
    }
}

/// The world's parameters.
#[derive(Debug, Clone)]
pub struct Params {
    /// Seed of everything (network, sentinel seeds, run ids).
    pub seed: u64,
    /// Number of sentinels.
    pub sentinels: usize,
    /// Number of masters monitored (default 1). Redis servers come in one
    /// group per master: see [`Params::master_node`] and [`master_name`].
    pub masters: usize,
    /// Number of replicas per master (with one master: Redis 1..=K; Redis 0
    /// is the initial master).
    pub replicas: usize,
    /// `quorum`.
    pub quorum: u32,
    /// `down-after-milliseconds`.
    pub down_after_ms: u64,
    /// `failover-timeout`.
    pub failover_timeout_ms: u64,
    /// `rename-command` pairs (original, new), for the Redis servers and
    /// the sentinels' config alike.
    pub renames: Vec<(String, String)>,
    /// The network.
    pub net: NetConfig,
    /// The cores' vote request desync bound (`None`: the core's default).
    pub vote_desync_ms: Option<u64>,
    /// When each sentinel boots (ms; missing = 0). Sentinels booted
    /// together ping, ask and send hellos in phase, as `./lab up` starts
    /// them; spread boots put their timers out of phase.
    pub boot_at: Vec<u64>,
    /// Timers fire up to this many ms late (seeded, per firing), as a real
    /// process's do (timer granularity, scheduling): it lets the timers of
    /// sentinels booted together drift out of lockstep. 0: exactly on time.
    pub timer_jitter_ms: u64,
    /// Seeds the cores as before the election work (correlated streams):
    /// only to replay the regression seeds found with it.
    pub legacy_core_seeds: bool,
    /// `sentinel fence` (0 = off). The simulated Redis accepts `CLIENT
    /// PAUSE` and ignores it: what is checked is that fencing disturbs
    /// neither the failover nor the convergence.
    pub fence_ms: u64,
}

impl Params {
    /// Three sentinels (quorum 2), two replicas, down-after 5 s.
    pub fn new(seed: u64) -> Params {
        Params {
            seed,
            sentinels: 3,
            masters: 1,
            replicas: 2,
            quorum: 2,
            down_after_ms: 5000,
            failover_timeout_ms: 30_000,
            renames: Vec::new(),
            net: NetConfig::default(),
            vote_desync_ms: None,
            boot_at: Vec::new(),
            legacy_core_seeds: false,
            timer_jitter_ms: 0,
            fence_ms: 0,
        }
    }

    /// How many Redis servers the world holds: a master and its replicas
    /// per group.
    pub fn redis_count(&self) -> usize {
        self.masters * (self.replicas + 1)
    }

    /// The Redis index of group `g`'s initial master; its replicas follow
    /// it, up to `master_node(g) + replicas`.
    pub fn master_node(&self, g: usize) -> usize {
        g * (self.replicas + 1)
    }

    /// The group (master) Redis `r` belongs to.
    pub fn group_of(&self, r: usize) -> usize {
        r / (self.replicas + 1)
    }
}

/// The name of group `g`'s master: [`MASTER`] for group 0 (so that a world
/// with one master is the world of every older test), `mymaster<g>` after.
pub fn master_name(g: usize) -> String {
    match g {
        0 => MASTER.to_owned(),
        g => format!("{MASTER}{g}"),
    }
}

/// A scheduled fault.
#[derive(Debug, Clone)]
pub enum Fault {
    /// SIGKILL: the process is gone.
    Kill(NodeId),
    /// SIGSTOP: connections accepted, nothing answered.
    Pause(NodeId),
    /// SIGCONT: everything received meanwhile is handled, in order.
    Resume(NodeId),
    /// Starts a dead process again (kills it first if it runs). A sentinel
    /// restarts from its disk.
    Restart(NodeId),
    /// Brings a node back whatever its state: starts it if dead, resumes
    /// it if paused.
    Revive(NodeId),
    /// Splits the network into islands (see [`Net::partition`]).
    Partition(Vec<Vec<NodeId>>),
    /// Makes the network whole.
    Heal,
    /// Sets the loss rate (parts per million of messages that reset their
    /// connection).
    Loss(u64),
}

/// A message in flight.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// A connection attempt reaching its target.
    Syn(ConnId),
    /// The connection is established (at the owner): `LinkUp`.
    Connected(ConnId),
    /// The connection failed or broke (at the owner): `LinkDown`.
    Down(ConnId, String),
    /// A command reaching its target.
    Request(ConnId, Tag, Vec<Bytes>),
    /// A reply reaching the owner.
    Reply(ConnId, Tag, Frame),
    /// A pub/sub message reaching the owner.
    Message(ConnId, Bytes, Bytes),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConnState {
    Connecting,
    Up,
    /// Silent: a partition ate a message. Nothing more passes.
    Severed,
    Closed,
}

#[derive(Debug, Clone)]
struct Conn {
    owner: usize,
    owner_inc: u64,
    link: LinkId,
    target: NodeId,
    target_inc: u64,
    state: ConnState,
}

/// Process state shared by sentinels and Redis servers.
#[derive(Debug, Default)]
pub struct Proc {
    /// Running (possibly paused).
    pub alive: bool,
    /// SIGSTOPped.
    pub paused: bool,
    /// Incremented at every death: messages for an earlier life are lost.
    inc: u64,
    /// Deliveries received while paused.
    held: VecDeque<Delivery>,
}

/// One sentinel process.
#[derive(Debug)]
pub struct SentinelNode<C> {
    /// Its address (what `LinkUp` reports as the local address).
    pub addr: Addr,
    /// Process state.
    pub proc: Proc,
    /// The core, while the process lives.
    pub core: Option<C>,
    /// The last persisted config: what a restart boots from.
    pub disk: Config,
    /// How many times it booted.
    pub boots: u64,
    links: BTreeMap<LinkId, ConnId>,
    requests: BTreeMap<RequestId, (ConnId, Tag)>,
    next_request: u64,
    /// The core's deadline as last seen, and when its timer fires (later by
    /// the drawn jitter).
    timer: Option<(Millis, Millis)>,
}

/// One Redis process.
#[derive(Debug)]
pub struct RedisNode {
    /// Process state.
    pub proc: Proc,
    /// The server.
    pub redis: Redis,
}

/// The whole simulation.
pub struct World<C: Core = Sentinel> {
    /// The virtual clock.
    pub now: Millis,
    /// The parameters it was built with.
    pub params: Params,
    /// The network.
    pub net: Net<Delivery>,
    /// Sentinel processes.
    pub sentinels: Vec<SentinelNode<C>>,
    /// Redis processes.
    pub redis: Vec<RedisNode>,
    /// Every event every sentinel emitted: (time, sentinel, event).
    pub events: Vec<(Millis, usize, Event)>,
    /// Human-readable log of everything notable.
    pub trace: Vec<String>,
    /// Invariant checking state and the violations found.
    pub checker: Checker,
    /// Steps taken.
    pub steps: u64,
    conns: Vec<Conn>,
    addrs: BTreeMap<Addr, NodeId>,
    faults: BTreeMap<(Millis, u64), Fault>,
    fault_seq: u64,
    steps_at_now: u64,
    last_repl: Millis,
    rng: Rng,
    jitter: Rng,
}

/// The address of sentinel `i`.
pub fn sentinel_addr(i: usize) -> Addr {
    Addr::new(format!("10.0.1.{}", i + 1), 26379)
}

/// The address of Redis `i` (0 = the initial master of group 0): 250
/// servers per /16 network, `10.0.0.1` to `10.0.0.250`, then `10.1.0.1` and
/// on, apart from the sentinels' `10.0.1.x`.
pub fn redis_addr(i: usize) -> Addr {
    Addr::new(format!("10.{}.0.{}", i / 250, i % 250 + 1), 6379)
}

impl<C: Core> World<C> {
    /// Builds and boots the world at time 0.
    pub fn new(params: Params) -> World<C> {
        let mut rng = Rng::new(params.seed ^ 0x5157_u64.rotate_left(40));
        let jitter = Rng::new(params.seed ^ 0x717e_4a11);
        let mut addrs = BTreeMap::new();
        let redis: Vec<RedisNode> = (0..params.redis_count())
            .map(|i| {
                let master = params.master_node(params.group_of(i));
                let role = if i == master {
                    RedisRole::Master
                } else {
                    RedisRole::Replica(redis_addr(master))
                };
                let mut r = Redis::new(redis_addr(i), rng.hex40(), role, Millis::ZERO);
                r.renames =
                    params.renames.iter().map(|(a, b)| (a.to_lowercase(), b.clone())).collect();
                addrs.insert(redis_addr(i), NodeId::Redis(i));
                RedisNode { proc: Proc { alive: true, ..Proc::default() }, redis: r }
            })
            .collect();
        let sentinels = (0..params.sentinels)
            .map(|i| {
                addrs.insert(sentinel_addr(i), NodeId::Sentinel(i));
                SentinelNode {
                    addr: sentinel_addr(i),
                    proc: Proc::default(),
                    core: None,
                    disk: sentinel_config(&params),
                    boots: 0,
                    links: BTreeMap::new(),
                    requests: BTreeMap::new(),
                    next_request: 0,
                    timer: None,
                }
            })
            .collect();
        let mut w = World {
            now: Millis::ZERO,
            net: Net::new(params.seed, params.net.clone()),
            checker: Checker::new(&params),
            params,
            sentinels,
            redis,
            events: Vec::new(),
            trace: Vec::new(),
            steps: 0,
            conns: Vec::new(),
            addrs,
            faults: BTreeMap::new(),
            fault_seq: 0,
            steps_at_now: 0,
            last_repl: Millis::ZERO,
            rng,
            jitter,
        };
        for i in 0..w.sentinels.len() {
            match w.params.boot_at.get(i).copied().unwrap_or(0) {
                0 => w.start_sentinel(i),
                at => w.schedule(Millis(at), Fault::Revive(NodeId::Sentinel(i))),
            }
        }
        w
    }

    // ----- driving -------------------------------------------------------

    /// Schedules a fault.
    pub fn schedule(&mut self, at: Millis, fault: Fault) {
        self.fault_seq += 1;
        self.faults.insert((at, self.fault_seq), fault);
    }

    /// When the next thing happens; `None` = nothing will ever happen.
    pub fn next_time(&self) -> Option<Millis> {
        let f = self.faults.keys().next().map(|k| k.0);
        let d = self.net.next_time();
        let t = self.sentinels.iter().filter_map(|s| s.fires_at()).min();
        [f, d, t].into_iter().flatten().min()
    }

    /// Handles the earliest thing; false when nothing is left to do.
    pub fn step(&mut self) -> bool {
        let Some(next) = self.next_time() else { return false };
        self.advance_to(next);
        self.steps += 1;
        self.steps_at_now += 1;
        if self.steps_at_now == MAX_STEPS_PER_INSTANT {
            let stuck: Vec<String> = (0..self.sentinels.len())
                .filter(|&i| self.sentinels[i].deadline().is_some_and(|d| d <= self.now))
                .map(|i| format!("S{i}"))
                .collect();
            self.checker.violation(
                self.now,
                format!(
                    "livelock: {} steps at one instant (overdue: {stuck:?}, in flight: {})",
                    MAX_STEPS_PER_INSTANT,
                    self.net.in_flight()
                ),
            );
        }
        let fault_due = self.faults.keys().next().is_some_and(|k| k.0 <= self.now);
        if fault_due {
            let (_, f) = self.faults.pop_first().expect("checked");
            self.apply(f);
        } else if let Some(d) = self.net.pop_due(self.now) {
            self.deliver(d);
        } else if let Some(i) = (0..self.sentinels.len())
            .find(|&i| self.sentinels[i].fires_at().is_some_and(|d| d <= self.now))
        {
            self.input(i, Input::Timeout);
        }
        self.check();
        true
    }

    /// Runs until the clock reaches `t` (or a violation).
    pub fn run_until(&mut self, t: Millis) -> Result<(), String> {
        while self.next_time().is_some_and(|n| n <= t) {
            self.step();
            if let Some(v) = self.checker.first_violation() {
                return Err(v.to_owned());
            }
        }
        self.advance_to(t);
        Ok(())
    }

    /// Runs for `ms` more milliseconds.
    pub fn run_for(&mut self, ms: u64) -> Result<(), String> {
        self.run_until(self.now + Millis(ms))
    }

    /// Takes at most `max` steps (quinn's `drive_bounded`); true if the
    /// world went idle within them. For ad-hoc scenarios and debugging.
    #[allow(dead_code)]
    pub fn drive_bounded(&mut self, max: u64) -> bool {
        for _ in 0..max {
            if !self.step() {
                return true;
            }
        }
        false
    }

    fn advance_to(&mut self, t: Millis) {
        if t > self.now {
            self.now = t;
            self.steps_at_now = 0;
            self.replicate();
        }
    }

    // ----- observation ---------------------------------------------------

    /// The view of sentinel `i`, if it runs.
    pub fn view(&self, i: usize) -> Option<&View> {
        self.sentinels[i].core.as_ref().map(|c| c.view())
    }

    /// Whether the node runs and is not paused.
    pub fn is_running(&self, n: NodeId) -> bool {
        let p = self.proc(n);
        p.alive && !p.paused
    }

    /// The node at an address.
    pub fn node_at(&self, addr: &Addr) -> Option<NodeId> {
        self.addrs.get(addr).copied()
    }

    /// The last `n` trace lines.
    pub fn trace_tail(&self, n: usize) -> String {
        let start = self.trace.len().saturating_sub(n);
        self.trace[start..].join("\n")
    }

    /// Events of type `channel` (e.g. `+sdown`) emitted by sentinel `i`
    /// since `since`, as text.
    pub fn events_of(&self, i: usize, channel: &str, since: Millis) -> Vec<String> {
        self.events
            .iter()
            .filter(|(t, s, e)| *s == i && *t >= since && e.channel() == channel)
            .map(|(_, _, e)| e.to_string())
            .collect()
    }

    fn log(&mut self, who: impl std::fmt::Display, what: impl std::fmt::Display) {
        self.trace.push(format!("{:>8} {who} {what}", self.now.as_u64()));
    }

    fn proc(&self, n: NodeId) -> &Proc {
        match n {
            NodeId::Sentinel(i) => &self.sentinels[i].proc,
            NodeId::Redis(i) => &self.redis[i].proc,
        }
    }

    fn proc_mut(&mut self, n: NodeId) -> &mut Proc {
        match n {
            NodeId::Sentinel(i) => &mut self.sentinels[i].proc,
            NodeId::Redis(i) => &mut self.redis[i].proc,
        }
    }

    // ----- sentinels -----------------------------------------------------

    fn start_sentinel(&mut self, i: usize) {
        let boots = self.sentinels[i].boots;
        let seed = if self.params.legacy_core_seeds {
            self.params.seed.wrapping_mul(0x9e37_79b9).wrapping_add(1000 * i as u64 + boots)
        } else {
            // Each core's seed through SplitMix64's output function. The
            // legacy formula fed SplitMix64 states a multiple of its own
            // increment apart, so sentinel 0's vote desync was ~99 ms for
            // most world seeds: the election scenarios never saw it ask first.
            Rng::new(self.params.seed ^ ((i as u64) << 40) ^ (boots << 56) ^ 0x5e17_c0de).next_u64()
        };
        let s = &mut self.sentinels[i];
        s.boots += 1;
        s.proc.alive = true;
        s.proc.paused = false;
        let mut core = C::boot(s.disk.clone(), seed, self.now);
        if let Some(ms) = self.params.vote_desync_ms {
            core.set_vote_desync(Millis(ms));
        }
        s.core = Some(core);
        let boots = s.boots;
        self.log(NodeId::Sentinel(i), format_args!("boot #{boots}"));
        self.drain(i);
    }

    /// Feeds one input to sentinel `i` and carries out its outputs.
    fn input(&mut self, i: usize, input: Input) {
        let now = self.now;
        let Some(core) = self.sentinels[i].core.as_mut() else { return };
        core.handle(now, input);
        self.drain(i);
    }

    fn drain(&mut self, i: usize) {
        loop {
            let Some(out) = self.sentinels[i].core.as_mut().and_then(|c| c.poll_output()) else {
                break;
            };
            self.execute(i, out);
        }
        self.refresh_timer(i);
    }

    /// Re-reads sentinel `i`'s deadline; a new one gets a jitter drawn.
    fn refresh_timer(&mut self, i: usize) {
        let d = self.sentinels[i].core.as_ref().and_then(|c| c.next_deadline());
        let s = &mut self.sentinels[i];
        s.timer = match (d, s.timer) {
            (None, _) => None,
            (Some(d), Some((seen, fire))) if seen == d => Some((seen, fire)),
            (Some(d), _) => {
                let j = match self.params.timer_jitter_ms {
                    0 => 0,
                    max => self.jitter.below(max + 1),
                };
                Some((d, d + Millis(j)))
            }
        };
    }

    fn execute(&mut self, i: usize, out: Output) {
        let me = NodeId::Sentinel(i);
        match out {
            Output::Connect { link, addr, kind } => {
                let target = self.node_at(&addr);
                let id = ConnId(self.conns.len() as u64);
                let target_inc = target.map(|t| self.proc(t).inc).unwrap_or(0);
                self.conns.push(Conn {
                    owner: i,
                    owner_inc: self.sentinels[i].proc.inc,
                    link,
                    target: target.unwrap_or(me),
                    target_inc,
                    state: ConnState::Connecting,
                });
                if let Some(old) = self.sentinels[i].links.insert(link, id) {
                    self.checker
                        .contract(self.now, format!("S{i} reused open link {link:?} ({old:?})"));
                }
                let kind = if kind == LinkKind::PubSub { "pubsub" } else { "cmd" };
                self.log(me, format_args!("connect {} {kind} to {addr}", link.0));
                match target {
                    Some(t) if self.net.can_talk(me, t) => {
                        self.net.send(self.now, id, Dir::ToTarget, Delivery::Syn(id))
                    }
                    _ => {
                        self.conns[id.0 as usize].state = ConnState::Closed;
                        let at = self.now + Millis(CONNECT_TIMEOUT_MS);
                        self.net.push(at, Delivery::Down(id, "connection timed out".into()));
                    }
                }
            }
            Output::Disconnect { link } => {
                if let Some(id) = self.sentinels[i].links.remove(&link) {
                    self.close(id);
                }
            }
            Output::Send { link, tag, command } => {
                let Some(&id) = self.sentinels[i].links.get(&link) else {
                    self.checker
                        .contract(self.now, format!("S{i} sent on unknown link {}", link.0));
                    return;
                };
                if matches!(self.conns[id.0 as usize].state, ConnState::Connecting | ConnState::Up)
                {
                    if self.net.roll_loss() && self.conns[id.0 as usize].state == ConnState::Up {
                        self.reset(id, "connection reset by peer (loss)");
                    } else {
                        self.net.send(
                            self.now,
                            id,
                            Dir::ToTarget,
                            Delivery::Request(id, tag, command.args()),
                        );
                    }
                }
            }
            Output::Event(e) => {
                self.log(me, &e);
                if let Event::ConvertToReplica(r) = &e {
                    self.check_demotion(i, &r.addr);
                }
                let view =
                    self.sentinels[i].core.as_ref().map(|c| c.view().clone()).unwrap_or_default();
                let healthy = self.master_healthy_for(i, &e);
                self.checker.on_event(self.now, i, &e, &view, healthy);
                self.events.push((self.now, i, e));
            }
            Output::Persist(cfg) => {
                self.checker.on_persist(self.now, i, &self.sentinels[i].disk, &cfg);
                self.sentinels[i].disk = *cfg;
            }
            Output::Reply { request, frame, .. } => {
                let Some((id, tag)) = self.sentinels[i].requests.remove(&request) else {
                    self.checker
                        .contract(self.now, format!("S{i} answered unknown request {}", request.0));
                    return;
                };
                self.reply(id, tag, frame);
            }
            Output::Exit(code) => {
                self.log(me, format_args!("exit({code})"));
                self.kill(me);
            }
            other => self.log(me, format_args!("unhandled output {other:?}")),
        }
    }
}

impl<C: Core> SentinelNode<C> {
    /// When the core's timer fires (its deadline plus jitter), when it
    /// runs and is not paused.
    fn fires_at(&self) -> Option<Millis> {
        if self.proc.paused || self.core.is_none() {
            return None;
        }
        self.timer.map(|(_, fire)| fire)
    }

    /// The core's deadline, when it runs and is not paused.
    fn deadline(&self) -> Option<Millis> {
        if self.proc.paused {
            return None;
        }
        self.core.as_ref().and_then(|c| c.next_deadline())
    }
}

/// The config every sentinel starts from: every master, with the same
/// settings.
pub fn sentinel_config(p: &Params) -> Config {
    let mut c = Config::default();
    for g in 0..p.masters {
        let mut m = MasterConfig::new(master_name(g), redis_addr(p.master_node(g)), p.quorum);
        m.down_after_ms = p.down_after_ms;
        m.failover_timeout_ms = p.failover_timeout_ms;
        m.fence_ms = p.fence_ms;
        m.rename_commands = p.renames.iter().map(|(a, b)| (a.to_lowercase(), b.clone())).collect();
        c.masters.push(m);
    }
    c
}
