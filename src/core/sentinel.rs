//! [`Sentinel`]: the core's whole API, and the routing of inputs.
//!
//! Every input goes the same way: check for TILT ([`Sentinel::check_tilt`]),
//! route the input to the instance it concerns, run one [`Sentinel::step`]
//! (everything that is due: connections, periodic commands, SDOWN, ODOWN,
//! questions to peers), recompute the earliest deadline
//! ([`Sentinel::rearm`]) and, if something was announced, rebuild the view.
//!
//! An input's cost does not grow with the number of masters. The step
//! visits the master the input concerns (a reply or a message on one of its
//! links) and the masters whose own deadline has come, and keeps every
//! other master's deadline as it was: nothing it reads changed. What all
//! masters read (the current epoch, when a peer raised it, TILT, the shared
//! peer links: [`Marks`]) is compared before and after; if it moved, or the
//! input is a client command, a peer's reply or a script's exit, every
//! master is visited. Debug builds re-arm every master after each input and
//! assert that the unvisited ones kept their deadlines. Measured with 100
//! masters, idle: 7.8 % of a core before (every input stepped, re-armed and
//! snapshotted every master, and found each by a scan of the config), 0.8 %
//! after, redis-sentinel 0.7 % on the same machine.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::event::Event;
use super::ids::{Addr, Epoch, RunId};
use super::input::Input;
use super::instance::{Master, PeerLink, master_ref};
use super::link::{LinkOwner, Outbox};
use super::masters::Masters;
use super::names::Names;
use super::output::Output;
use super::rng::Rng;
use super::scripts::Scripts;
use super::timer::{Earliest, Millis, Periods, Timer};
use super::view::View;
use crate::acl::Acl;
use crate::config::Config;

/// The sentinel's brain: a deterministic state machine.
///
/// Drive it like this (the shell's actor loop does, and so do the tests):
/// 1. [`handle`](Self::handle) one input with the current time;
/// 2. drain [`poll_output`](Self::poll_output) until `None`, carrying out each
///    output in order;
/// 3. sleep until [`next_deadline`](Self::next_deadline) or the next input,
///    and send `Input::Timeout` when the deadline is reached.
///
/// Same configuration, seed and inputs give the same outputs, always.
/// `next_deadline` only moves as a result of `handle`.
#[derive(Debug)]
pub struct Sentinel {
    /// The configuration, kept up to date with the state to persist,
    /// except the masters': theirs is in their records (`masters`), and
    /// [`Sentinel::config_to_persist`] puts it back.
    pub(crate) config: Config,
    /// The seeded source of randomness.
    pub(crate) rng: Rng,
    /// Outputs waiting to be polled, and link/tag allocation.
    pub(crate) out: Outbox,
    /// The masters' run-time state, deadlines and views, by name.
    pub(crate) masters: Masters,
    /// The shared command links to peer sentinels, by run id.
    pub(crate) peers: BTreeMap<RunId, PeerLink>,
    /// The IP each hostname led to at its last connection (`names.rs`).
    pub(crate) names: Names,
    /// How many times a name's address was learned or changed: every
    /// master's matching reads them (a step visits all when it moves).
    pub(crate) names_learned: u64,
    /// The periods `SENTINEL DEBUG` can change.
    pub(crate) periods: Periods,
    /// Since when we are in TILT.
    pub(crate) tilt_since: Option<Millis>,
    /// TILTs entered since start.
    pub(crate) total_tilt: u64,
    /// The `now` of the previous input.
    pub(crate) last_now: Millis,
    /// The deadline we asked for after the previous input.
    pub(crate) deadline: Option<(Millis, Timer)>,
    /// When a peer last raised our current epoch (a hello, a vote
    /// request): a candidate may be about to ask for our vote, so our own
    /// failovers hold off a moment (`failover.rs`, `next_start_at`).
    pub(crate) epoch_raised_at: Option<Millis>,
    /// `SENTINEL SIMULATE-FAILURE` flags.
    pub(crate) simulate_failure_flags: u32,
    /// The script queue.
    pub(crate) scripts: Scripts,
    /// The ACL users (`user` lines, `ACL SETUSER`), shared with the view.
    pub(crate) acl: Arc<Acl>,
    /// The read model, rebuilt after every input.
    view: Arc<View>,
    /// When the view was last rebuilt, and whether the state may have
    /// changed since ([`Sentinel::refresh_view`]).
    view_built: (Millis, bool),
}

/// Which masters an input visits ([`Sentinel::step`]).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    /// Every master.
    All,
    /// This master, and those due.
    One(String),
    /// The masters due.
    Due,
}

/// Which masters a step visited, to re-arm.
#[derive(Debug)]
enum Stepped {
    All,
    Some(Vec<String>),
}

/// What every master's rules read besides the master's own state
/// ([`Sentinel::marks`]).
#[derive(Debug, PartialEq, Eq)]
struct Marks {
    epoch: Epoch,
    epoch_raised_at: Option<Millis>,
    tilt_since: Option<Millis>,
    peers: Vec<PeerMark>,
    masters: usize,
    names_learned: u64,
}

/// What the masters' rules read of one shared peer link.
#[derive(Debug, PartialEq, Eq)]
struct PeerMark {
    runid: RunId,
    conn: Option<super::input::LinkId>,
    room: bool,
    local: bool,
    act_ping: Option<Millis>,
    last_avail: Millis,
    last_pong: Millis,
}

/// How stale a view a client reads may be when nothing was announced: the
/// fields that change without an event (link times, pending commands, a
/// run id learned) are shown at most this old. The core builds such
/// changes only when asked ([`Sentinel::refresh_stale_view`]); the server
/// asks before a query when the view it has is older than this.
pub const VIEW_REFRESH: Millis = Millis(10);

impl Sentinel {
    /// Builds the core from a loaded configuration.
    ///
    /// A missing `myid` is generated from the seed and persisted at once;
    /// every master is announced with `+monitor` and its links are opened
    /// (`Output::Connect`) at once.
    pub fn new(mut config: Config, seed: u64, now: Millis) -> Sentinel {
        let mut rng = Rng::new(seed);
        let mut out = Outbox::default();
        if config.sentinel.myid.is_none() {
            config.sentinel.myid = Some(RunId(rng.hex40()));
            out.push(Output::Persist(Box::new(config.clone())));
        }
        let mut masters = Masters::default();
        let mut monitors = Vec::new();
        // The masters' configurations live in their records from now on
        // (`config_to_persist` puts them back).
        for m in std::mem::take(&mut config.masters) {
            monitors.push(Event::Monitor { master: master_ref(&m), quorum: m.quorum });
            let state = Master::new(&m, now);
            masters.insert(m, state);
        }
        config.index = Default::default();
        let acl = Arc::new(super::users::load(&config));
        let mut sentinel = Sentinel {
            acl,
            config,
            rng,
            out,
            masters,
            peers: BTreeMap::new(),
            names: Names::default(),
            names_learned: 0,
            periods: Periods::default(),
            tilt_since: None,
            total_tilt: 0,
            last_now: now,
            deadline: None,
            epoch_raised_at: None,
            simulate_failure_flags: 0,
            scripts: Scripts::default(),
            view: Arc::new(View::default()),
            view_built: (now, true),
        };
        for e in monitors {
            sentinel.event(e);
        }
        sentinel.sync_peer_links(now);
        let marks = sentinel.marks();
        let stepped = sentinel.step(now, 0, Scope::All, &marks);
        sentinel.rearm(now, stepped);
        sentinel.rebuild_view(now);
        sentinel
    }

    /// Feeds one input. Never fails: malformed data is ignored.
    pub fn handle(&mut self, now: Millis, input: Input) {
        let from = self.out.queue.len();
        let (scope, marks) = (self.scope(&input), self.marks());
        #[cfg(debug_assertions)]
        let input_kind = format!("{input:?}").chars().take(80).collect::<String>();
        self.check_tilt(now);
        let admin = matches!(input, Input::Admin { .. });
        match input {
            Input::Timeout => {}
            Input::LinkUp { link, local_addr, remote_addr } => {
                self.on_link_up(now, link, local_addr, remote_addr)
            }
            Input::LinkDown { link, reason } => self.on_link_down(link, &reason),
            Input::Reply { link, tag, frame } => self.on_reply(now, link, tag, frame),
            Input::Message { link, channel, payload } => {
                self.on_message(now, link, &channel, &payload)
            }
            Input::Admin { request, command } => self.on_admin(now, request, command),
            Input::ScriptStarted { id, pid } => self.on_script_started(id, pid),
            Input::ScriptExited { id, code, signal } => {
                self.on_script_exited(now, id, code, signal)
            }
        }
        let stepped = self.step(now, from, scope.clone(), &marks);
        self.rearm(now, stepped);
        self.refresh_view(now, from, admin);
        // The masters not visited kept their deadlines: nothing they read
        // changed (else the step visits all, `Marks`).
        #[cfg(debug_assertions)]
        for name in self.masters.keys() {
            debug_assert_eq!(
                self.masters.next(name),
                self.arm_one(name),
                "{name}'s deadline moved unvisited by {input_kind} ({scope:?}) at {now}"
            );
        }
    }

    /// The masters an input may concern: a link's own master for what
    /// arrives on a master's or a replica's link (a connection coming up
    /// included: with a thousand masters, their link-ups made start-up
    /// slow when each visited every master); every master for the
    /// rest (peer links are shared, client commands and scripts may touch
    /// any). Found before the input is handled (a link going down forgets
    /// its owner).
    fn scope(&self, input: &Input) -> Scope {
        let link = match input {
            Input::Timeout => return Scope::Due,
            Input::LinkUp { link, .. }
            | Input::LinkDown { link, .. }
            | Input::Reply { link, .. }
            | Input::Message { link, .. } => link,
            _ => return Scope::All,
        };
        match self.out.owners.get(link) {
            Some(LinkOwner::Master(name, _) | LinkOwner::Replica(name, _, _)) => {
                Scope::One(name.clone())
            }
            _ => Scope::All,
        }
    }

    /// The state every master's rules read besides its own: when it
    /// changes during an input, every master is visited.
    fn marks(&self) -> Marks {
        Marks {
            epoch: self.config.sentinel.current_epoch,
            epoch_raised_at: self.epoch_raised_at,
            tilt_since: self.tilt_since,
            // The shared peer links: a master's hellos to a peer wait for
            // room on it, and the peer's SDOWN follows its PINGs.
            peers: self
                .peers
                .iter()
                .map(|(id, pl)| PeerMark {
                    runid: id.clone(),
                    conn: pl.link.id(),
                    room: pl.link.can_queue(pl.users),
                    local: pl.link.local_addr.is_some(),
                    act_ping: pl.link.act_ping,
                    last_avail: pl.link.last_avail,
                    last_pong: pl.link.last_pong,
                })
                .collect(),
            masters: self.masters.len(),
            names_learned: self.names_learned,
        }
    }

    /// The next output to carry out, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.queue.pop_front()
    }

    /// Sets the bound of the random delay before a vote request (see
    /// `Periods::vote_desync`). For simulation experiments only: the
    /// daemon always runs with the default.
    #[doc(hidden)]
    pub fn set_vote_desync(&mut self, bound: Millis) {
        self.periods.set_vote_desync(bound);
    }

    /// When the core next needs an `Input::Timeout`; `None` = idle.
    pub fn next_deadline(&self) -> Option<Millis> {
        self.deadline.map(|(at, _)| at)
    }

    /// The next deadline and the timer it belongs to (for tests and logs).
    pub fn next_timer(&self) -> Option<(Millis, Timer)> {
        self.deadline
    }

    /// The read model as of the last input.
    pub fn view(&self) -> &View {
        &self.view
    }

    /// The read model rebuilt now if it is stale: for tests and the
    /// simulation, which check the state after every input. The daemon
    /// publishes [`Sentinel::view_arc`], and clients read it at most
    /// [`VIEW_REFRESH`] old.
    #[doc(hidden)]
    pub fn fresh_view(&mut self) -> &View {
        self.refresh_stale_view(self.last_now);
        &self.view
    }

    /// The read model, shared: what the shell publishes (an `Arc` clone,
    /// whatever the number of masters).
    pub fn view_arc(&self) -> Arc<View> {
        self.view.clone()
    }

    /// The configuration with the current state, as it is persisted.
    pub fn config(&self) -> Config {
        self.config_to_persist()
    }

    /// Our run id.
    pub(crate) fn myid(&self) -> &RunId {
        self.config.sentinel.myid.as_ref().expect("myid is set in Sentinel::new")
    }

    /// `addr` as this sentinel shows and sends it (`names.rs`).
    pub(crate) fn announce(&self, addr: &Addr) -> Addr {
        self.names.announce(addr, self.config.sentinel.announce_hostnames)
    }

    /// Queues an event.
    pub(crate) fn event(&mut self, event: Event) {
        self.out.push(Output::Event(event));
    }

    /// Queues a snapshot of the configuration to persist.
    pub(crate) fn persist(&mut self) {
        self.out.push(Output::Persist(Box::new(self.config_to_persist())));
    }

    /// Runs everything that is due at `now`; then puts the events output
    /// since index `from` in announce form, queues their notification
    /// scripts and starts the scripts that are due.
    fn step(&mut self, now: Millis, from: usize, scope: Scope, marks: &Marks) -> Stepped {
        self.maybe_exit_tilt(now);
        self.drive_peer_links(now);
        let names: Vec<String> = match &scope {
            Scope::All => self.masters.keys().cloned().collect(),
            Scope::One(_) | Scope::Due => {
                let mut names = self.masters.due_at(now);
                if let Scope::One(n) = &scope
                    && self.masters.contains_key(n)
                    && !names.contains(n)
                {
                    names.push(n.clone());
                    names.sort();
                }
                names
            }
        };
        self.step_masters(now, &names);
        let stepped = if matches!(scope, Scope::All) || self.marks() != *marks {
            // What every master reads changed: the others' rules too.
            let visited: BTreeSet<&String> = names.iter().collect();
            let rest: Vec<String> =
                self.masters.keys().filter(|n| !visited.contains(n)).cloned().collect();
            self.step_masters(now, &rest);
            Stepped::All
        } else {
            Stepped::Some(names)
        };
        self.announce_events(from);
        self.queue_notifications(now, from);
        self.drive_scripts(now);
        stepped
    }

    /// Runs the rules of these masters.
    fn step_masters(&mut self, now: Millis, names: &[String]) {
        for name in names {
            self.drive_master(now, name);
            if self.tilt_since.is_none() {
                self.check_sdown(now, name);
                self.expire_peer_reports(now, name);
                self.check_odown(now, name);
                self.drive_failover(now, name);
                self.reconcile_replicas(now, name);
                self.abort_stuck_handover(now, name);
                self.ask_peers(now, name);
            }
            self.drive_replicas(now, name);
        }
    }

    /// Puts the addresses of the events output since index `from` in
    /// announce form (`names.rs`): events are built with addresses as
    /// given, and this is the one place they are translated.
    fn announce_events(&mut self, from: usize) {
        let Sentinel { out, names, config, .. } = self;
        let hostnames = config.sentinel.announce_hostnames;
        for output in out.queue.iter_mut().skip(from) {
            if let Output::Event(e) = output {
                e.map_addrs(|a| names.announce(a, hostnames));
            }
        }
    }

    /// Recomputes the earliest deadline from the same `*_due` rules that
    /// [`Sentinel::step`] acts on, so nothing is due right after a step.
    fn rearm(&mut self, now: Millis, stepped: Stepped) {
        let names = match stepped {
            Stepped::All => self.masters.keys().cloned().collect::<Vec<String>>(),
            Stepped::Some(names) => names,
        };
        for name in names {
            let next = self.arm_one(&name);
            self.masters.visited(&name, next);
        }
        let mut earliest = Earliest::default();
        self.arm_tilt(&mut earliest);
        self.arm_peer_links(&mut earliest);
        self.arm_scripts(&mut earliest);
        if let Some((at, timer)) = self.masters.earliest() {
            earliest.arm(timer, Some(at));
        }
        // A deadline at or before `now` would make the shell spin: it can
        // only come from a rule that `step` does not act on, which is a bug.
        if let Some((at, timer)) = earliest.0
            && at <= now
        {
            debug_assert!(false, "{timer:?} due at {at} right after a step at {now}");
            earliest.0 = Some((now + Millis(1), timer));
        }
        self.deadline = earliest.0;
    }

    /// The earliest deadline of one master's rules.
    fn arm_one(&self, name: &str) -> Option<(Millis, Timer)> {
        let mut earliest = Earliest::default();
        self.arm_master(&mut earliest, name);
        if self.tilt_since.is_none() {
            self.arm_sdown(&mut earliest, name);
            self.arm_peer_reports(&mut earliest, name);
            self.arm_failover(&mut earliest, name);
            self.arm_reconcile(&mut earliest, name);
            self.arm_stuck_handover(&mut earliest, name);
        }
        earliest.0
    }

    /// Builds the view again: the masters visited since the last build,
    /// and the fields every view has; the other masters' views are shared.
    fn rebuild_view(&mut self, now: Millis) {
        let view = self.snapshot();
        // Only the visited masters' views could change, except the fields
        // a peer's entry takes from the shared peer link (its pending
        // commands and PING times), which lag until the master is visited
        // (at least once a PING period).
        #[cfg(debug_assertions)]
        {
            let full = self.full_snapshot();
            let strip = |m: &super::view::MasterView| {
                let mut m = m.clone();
                for s in &mut m.sentinels {
                    let i = &mut s.instance;
                    (i.link_pending_commands, i.ping_pending_since) = (0, None);
                    (i.last_ok_ping_reply, i.last_ping_reply) = (Millis::ZERO, Millis::ZERO);
                }
                m
            };
            for (a, b) in view.masters.iter().zip(&full.masters) {
                debug_assert_eq!(strip(a), strip(b), "a master's view changed unvisited");
            }
        }
        self.view = Arc::new(view);
        self.view_built = (now, false);
    }

    /// Rebuilds the view when the input announced something (an event, a
    /// reply, a persist: what clients may ask about next must show it) or
    /// came from a client; otherwise marks it stale, to be rebuilt when a
    /// client asks ([`Sentinel::refresh_stale_view`], at most
    /// [`VIEW_REFRESH`] apart). Not a core deadline: a timeout is an
    /// input, and inputs are what TILT measures.
    fn refresh_view(&mut self, now: Millis, from: usize, admin: bool) {
        let announced = self
            .out
            .queue
            .iter()
            .skip(from)
            .any(|o| matches!(o, Output::Event(_) | Output::Reply { .. } | Output::Persist(_)));
        if announced || admin {
            self.rebuild_view(now);
        } else {
            self.view_built.1 = true;
        }
    }

    /// Whether the state changed since the view was built, silently
    /// (nothing announced): a query may ask for [`Sentinel::refresh_stale_view`].
    pub fn view_stale(&self) -> bool {
        self.view_built.1
    }

    /// When the view was last built.
    pub fn view_built_at(&self) -> Millis {
        self.view_built.0
    }

    /// Rebuilds the view if it is stale (the shell calls it when a query
    /// asks, [`Sentinel::view_stale`]); changes nothing else.
    pub fn refresh_stale_view(&mut self, now: Millis) {
        if self.view_built.1 {
            self.rebuild_view(now);
        }
    }
}
