//! [`Sentinel`]: the core's whole API, and the routing of inputs.
//!
//! Every input goes the same way: check for TILT ([`Sentinel::check_tilt`]),
//! route the input to the instance it concerns, run one [`Sentinel::step`]
//! (everything that is due: connections, periodic commands, SDOWN, ODOWN,
//! questions to peers), recompute the earliest deadline
//! ([`Sentinel::rearm`]) and, if something was announced, rebuild the view.
//!
//! Which masters a step visits, and why that does not grow with their
//! number, is in `step.rs`; one master's rules, in `ctx.rs`.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::command::AdminCommand;
use super::event::Event;
use super::ids::{Addr, RunId};
use super::input::Input;
use super::instance::{Master, PeerLink, master_ref};
use super::link::Outbox;
use super::masters::{MasterId, Masters};
use super::names::Names;
use super::output::Output;
use super::rng::Rng;
use super::scripts::Scripts;
use super::step::Scope;
use super::timer::{Millis, Periods, Timer};
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
    /// Our run id (the configuration's `myid`, generated if it had none).
    pub(crate) myid: RunId,
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
    /// How many times the peer links were made to match the masters in full
    /// (`Sentinel::sync_peer_links`: a reset, a removal, a peer's address
    /// switch): the step then visits every master. A peer new to a master
    /// only adds a user to its link, which the step's marks cover.
    pub(crate) peers_changed: u64,
    /// How many shared peer links were ever made (their serials).
    pub(crate) peer_links_made: u64,
    /// The smallest `peer_patience` of any master: when the masters that
    /// know a peer must see its unanswered PING (`PeerLink::pings_due`).
    pub(crate) peer_patience: Millis,
    /// The list of masters a step visits, kept between steps for its
    /// room: a grid step visits a few hundred masters with a thousand
    /// monitored, and growing a new list each time (to be freed right
    /// after) made the allocator consolidate its free chunks.
    pub(crate) visiting: Vec<MasterId>,
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
    /// failovers hold off a moment (`candidate.rs`, `next_start_at`).
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
        let myid = match &config.sentinel.myid {
            Some(myid) => myid.clone(),
            None => {
                let myid = RunId::from(rng.hex40());
                config.sentinel.myid = Some(myid.clone());
                out.persist();
                myid
            }
        };
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
            myid,
            acl,
            config,
            rng,
            out,
            masters,
            peers: BTreeMap::new(),
            names: Names::default(),
            names_learned: 0,
            peers_changed: 0,
            peer_patience: Millis::ZERO,
            peer_links_made: 0,
            visiting: Vec::new(),
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
        let stepped = sentinel.step(now, 0, &Scope::All, &marks);
        sentinel.rearm(now, stepped);
        sentinel.rebuild_view(now);
        sentinel
    }

    /// Feeds one input. Never fails: malformed data is ignored.
    pub fn handle(&mut self, now: Millis, input: Input) {
        let from = self.out.queue.len();
        // A peer's hello that repeats what we know visits no master.
        let refresh = self.hello_refresh(&input);
        let scope = match &refresh {
            Some(r) => Scope::Touched(r.master),
            None => self.scope(&input),
        };
        let marks = self.marks();
        #[cfg(debug_assertions)]
        let input_kind = format!("{input:?}").chars().take(80).collect::<String>();
        self.check_tilt(now);
        // A client's command is answered from the view it may read next; a
        // peer's hello published to us is not a client's (its reply is
        // always 1), and rebuilds the view only when it announced something,
        // as a hello read on a master's link does.
        let client = matches!(&input, Input::Admin { command, .. }
            if !matches!(command, AdminCommand::Hello { .. }));
        match input {
            _ if let Some(refresh) = refresh => self.refresh_hello(now, refresh),
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
        let stepped = self.step(now, from, &scope, &marks);
        self.rearm(now, stepped);
        self.refresh_view(now, from, client);
        // The masters not visited kept deadlines no later than their rules
        // give now: nothing they read changed (else the step visits them,
        // `Marks`), except a peer's PING answered, which only moves its
        // SDOWN later, and a peer's PING sent, whose SDOWN the masters see
        // when the sentinel's own deadline for it comes
        // (`PeerLink::pings_due`, `PeerLink::quiet_at`), before it is due.
        #[cfg(debug_assertions)]
        for id in self.masters.ids().collect::<Vec<_>>() {
            let stored = self.masters.next(id);
            let now_due = self.master_deadline(now, id);
            let peer_quiet_by = |due: Millis| {
                self.masters.get_by_id(id).is_some_and(|m| {
                    m.sentinels
                        .keys()
                        .filter_map(|r| self.peers.get(r))
                        .any(|pl| pl.quiet_at(self.peer_patience).is_some_and(|quiet| quiet <= due))
                })
            };
            debug_assert!(
                now_due.is_none_or(
                    |(due, _)| stored.is_some_and(|(at, _)| at <= due) || peer_quiet_by(due)
                ),
                "{:?}'s deadline moved earlier unvisited by {input_kind} ({scope:?}) at {now}: \
                 {stored:?} kept, {now_due:?} due",
                self.masters.name(id)
            );
        }
    }

    /// The next output to carry out, in order.
    ///
    /// Persists are carried out once for all that are queued: the first
    /// `Persist` polled holds the configuration as it is now, and the later
    /// ones are dropped. What followed each of them still comes after a
    /// save of its state or a newer one. With a thousand masters failing at
    /// once, peers ask for hundreds of votes a second, and each vote is
    /// persisted before it is given: one configuration built and one
    /// rewrite of the whole file per batch of inputs, instead of one per
    /// vote, kept the sentinel answering its peers (before, it fell behind,
    /// the peers judged it down and no master reached ODOWN).
    pub fn poll_output(&mut self) -> Option<Output> {
        let output = self.out.queue.pop_front()?;
        if !matches!(output, Output::Persist(_)) {
            return Some(output);
        }
        self.out.queue.retain(|o| !matches!(o, Output::Persist(_)));
        Some(Output::Persist(Box::new(self.config_to_persist())))
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

    /// Whether a change that may wait is not on disk yet
    /// (`Outbox::persist_soon`): a shell that stops saves [`Sentinel::config`].
    pub fn persist_pending(&self) -> bool {
        self.out.persist_due.is_some()
    }

    /// The configuration with the current state, as it is persisted.
    pub fn config(&self) -> Config {
        self.config_to_persist()
    }

    /// Our run id.
    pub(crate) fn myid(&self) -> &RunId {
        &self.myid
    }

    /// `addr` as this sentinel shows and sends it (`names.rs`).
    pub(crate) fn announce(&self, addr: &Addr) -> Addr {
        self.names.announce(addr, self.config.sentinel.announce_hostnames).into_owned()
    }

    /// Queues an event.
    pub(crate) fn event(&mut self, event: Event) {
        self.out.push(Output::Event(event));
    }

    /// Queues a snapshot of the configuration to persist.
    pub(crate) fn persist(&mut self) {
        self.out.persist();
    }

    /// Builds the view again: the masters visited since the last build,
    /// and the fields every view has; the other masters' views are shared.
    fn rebuild_view(&mut self, now: Millis) {
        let view = self.snapshot();
        // Only the visited masters' views could change, except the fields
        // a peer's entry takes from the shared peer link (its pending
        // commands, PING times and round trip, and how many masters share
        // it: another master that starts using the link changes that),
        // which lag until the master is visited (at least once a PING
        // period).
        #[cfg(debug_assertions)]
        {
            let full = self.full_snapshot();
            let strip = |m: &super::view::MasterView| {
                let mut m = m.clone();
                for s in &mut m.sentinels {
                    let i = &mut s.instance;
                    (i.link_pending_commands, i.ping_pending_since) = (0, None);
                    (i.last_ok_ping_reply, i.last_ping_reply) = (Millis::ZERO, Millis::ZERO);
                    (i.ping_rtt, i.link_refcount) = (None, 0);
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

    /// Rebuilds the view when the input announced something (an event or a
    /// persist: what clients may ask about next must show it) or came from
    /// a client; otherwise marks it stale, to be rebuilt when a client asks
    /// ([`Sentinel::refresh_stale_view`], at most [`VIEW_REFRESH`] apart).
    /// Not a core deadline: a timeout is an input, and inputs are what TILT
    /// measures.
    fn refresh_view(&mut self, now: Millis, from: usize, client: bool) {
        let announced = self
            .out
            .queue
            .iter()
            .skip(from)
            .any(|o| matches!(o, Output::Event(_) | Output::Persist(_)));
        if announced || client {
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
