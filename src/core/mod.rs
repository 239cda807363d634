//! The pure, deterministic core of the sentinel.
//!
//! Nothing in this module reads a clock, touches a socket or a file, or draws
//! randomness it was not given: time arrives as a [`Millis`] value with every
//! input. That is what lets the simulation tests replay any interleaving.
//! The shell feeds [`Input`]s to [`Sentinel::handle`], carries out the
//! [`Output`]s from [`Sentinel::poll_output`] in order, and sleeps until
//! [`Sentinel::next_deadline`]. Every input runs the same path
//! (`sentinel.rs`): TILT check, routing, one `step` of everything due, then
//! `rearm`, which recomputes the earliest named [`Timer`] from the same
//! due times the step acts on (one function per rule, `ctx.rs`), so no
//! timer is lost or fires for nothing.
//!
//! # MONITORING
//!
//! Each master and replica gets a command link and a pub/sub link, each
//! peer sentinel one command link shared by every master that knows its run
//! id (`link.rs`, `instance.rs`). `periodic.rs` opens down links at most
//! once per ping period (`Link::connect_due`), closes links that went
//! silent (`Link::cmd_stale_at`, `Link::pubsub_stale_at`), and queues PING
//! (every min(1 s, down-after)), INFO (10 s; 1 s for replicas of a troubled
//! master) and hellos (2 s) (replicas after their master is judged, as
//! redis does), never beyond 100 pending commands per link user;
//! `monitor.rs` authenticates and names links as they come up
//! (`Sentinel::on_link_up`) and routes their replies. `discovery.rs` reads INFO
//! (`on_master_info`: `+reboot`, `±role-change`, new replicas `+slave`,
//! persisted) and hellos (`process_hello`: `+sentinel`, address switches,
//! `+new-epoch`, and a newer master config: `+config-update-from`,
//! `+switch-master`, `switch_master`). `SENTINEL RESET` is `MasterCtx::reset`.
//!
//! # SUBJECTIVE AND OBJECTIVE DOWN
//!
//! An instance is SDOWN once down-after has passed since its oldest
//! unanswered PING, or since its last valid reply while disconnected; a
//! master also when it reports `role:slave` for down-after + 2 INFO periods,
//! or stays rebooted past master-reboot-down-after-period (`detect.rs`,
//! `check_sdown`). That moment is a deadline ([`Timer::DownAfter`]), so the
//! flag is raised exactly then. While a master is SDOWN, `election.rs`
//! asks each peer `SENTINEL is-master-down-by-addr` every ask period
//! (`ask_peers`, at once when SDOWN starts); answers count for 5 ask periods
//! (`expire_peer_reports`). ODOWN = SDOWN and 1 + peers saying down ≥
//! quorum (`check_odown`, `quorum.rs`), announced as `+odown #quorum n/q`.
//!
//! # EPOCHS AND VOTES
//!
//! The current epoch only grows: from hellos (`process_hello`) and from vote
//! requests (`vote_leader`). A request carrying a run id gets our vote if we
//! have not voted in that epoch for this master; the new epoch and the vote
//! go into one `Output::Persist` before `+new-epoch`, `+vote-for-leader` and
//! the reply (`is_master_down_by_addr`, reply marked `needs_persist`).
//! Every persisted change follows that rule: update `config`, queue
//! `Persist`, then the events and replies that announce it.
//!
//! # FAILOVER
//!
//! `failover.rs` holds the whole failover as one [`Timer`]-armed state
//! machine per master (`Failover`, `FailoverState`), its start and election
//! in `candidate.rs`: an ODOWN master with
//! no failover in the last 2 × failover-timeout gets a new epoch
//! (persisted, `+new-epoch`, `+try-failover`); after a small seeded desync
//! (`VOTE_REQUEST_DESYNC`) we vote for ourselves and ask every peer at
//! once, in the election's epoch; each vote reply is counted as it arrives
//! (majority of known sentinels + us, and the quorum). A newer epoch moves
//! the election to it; having voted for another candidate makes us step
//! down; a certain split is retried at once (`election.rs`). Elected: the best replica
//! (`select.rs`) gets `MULTI`/`SLAVEOF NO ONE`/`CONFIG REWRITE`/`CLIENT
//! KILL`×2/`EXEC`; `EXEC`'s reply asks INFO at once, whose `role:master`
//! confirms the promotion (config epoch = failover epoch, persisted,
//! hellos with the new address at once). The other replicas get `SLAVEOF
//! <new>` `parallel-syncs` at a time; then `+switch-master` and
//! `switch_master`. `SENTINEL FAILOVER` skips ODOWN and the election;
//! `SENTINEL FAILOVER <name> COORDINATED` (`coordinated.rs`) also replaces
//! the promotion transaction by Redis's own `FAILOVER TO` on the old master.
//! `reconcile.rs` converts a replica reporting master (the old master, back;
//! at once when proven stale) and fixes one following the wrong master (§7.6).
//!
//! # TILT
//!
//! If an input arrives more than the TILT trigger (2 s) after the deadline
//! we asked for, the process stalled; if time goes backwards, the clock
//! lies. Either way (`check_tilt`) we emit `+tilt` and for 30 s
//! (`maybe_exit_tilt`, [`Timer::TiltEnd`]) stop judging: no SDOWN/ODOWN,
//! no questions to peers, `down=0` to theirs. Links, PING, INFO, hellos and
//! votes go on.
//!
//! # SCRIPTS
//!
//! `scripts.rs` keeps redis-sentinel's script queue: after every step the
//! warning events output in it queue the master's notification script
//! (`queue_notifications`), `+promoted-slave` (leader) and a switch from a
//! hello (observer) queue the client-reconfig script, and due jobs start
//! (`Output::RunScript`, at most 16 at once). The shell reports
//! `Input::ScriptExited`; exit 1 or a signal is retried after 30 s ×
//! 2^(attempt − 1) up to 10 attempts ([`Timer::ScriptRetry`]), a script
//! running 60 s is killed ([`Timer::ScriptTimeout`]).
//!
//! # HOSTNAMES
//!
//! `names.rs` explains the design: instances keep the host they were
//! given (an IP or, with `resolve-hostnames yes`, a name); the shell
//! resolves at every connection and reports the IP it reached in
//! `Input::LinkUp` (`remote_addr`); `Names` keeps name →
//! IP, which matches the two forms of one instance (`Names::same`: INFO's
//! replica list, a replica's `master_host`, hellos, is-master-down-by-addr,
//! switches) and gives the announce form of every address shown or sent
//! (`Sentinel::announce`; events in `announce_events`).
//!
//! # WHERE WE DIFFER FROM REDIS-SENTINEL
//!
//! - No 100 ms tick: every rule is a deadline, so SDOWN is flagged at
//!   down-after to the millisecond, and peers are asked in the same step.
//! - INFO and is-master-down-by-addr are not re-sent while one is young
//!   (redis re-sends every tick while unanswered).
//! - Replicas get 1 s INFO already while the master is only SDOWN.
//! - Persist comes before the events of a change (redis logs some first),
//!   and a new epoch plus a vote share one fsync.
//! - A negative epoch in a vote request is no vote (redis reads it as
//!   2^64-1), and no epoch above 2^62 is taken from a hello, a vote
//!   request or a vote (`Epoch::MAX_ACCEPTED`); `CONFIG SET announce-ip
//!   ""` unsets it, as the file does.
//! - `sentinel hello-guard yes` (off by default) applies a hello's newer
//!   master configuration only once its sender, a sentinel known before,
//!   confirms it over our own link to it (`guard.rs`).
//! - Script paths in `SENTINEL SET` are not checked for existence here: the
//!   core never touches the file system.
//! - Ties (two masters at one address) are broken by name, not hash order.
//! - Failover states move on the reply or INFO that proves their condition,
//!   not one per tick; promotion is confirmed by an INFO sent on `EXEC`'s
//!   reply; +convert-to-slave comes 8 s after the role change (an INFO is
//!   asked then), not at the next 10 s INFO, and at once for an old master
//!   proven stale by its replication ID and a majority's epochs
//!   (`reconcile.rs`).
//! - The vote request waits a random 0–99 ms (none without peers), so that
//!   simultaneous candidates do not split the votes. A candidate asks only
//!   in its election's epoch, moves the election to a newer current epoch,
//!   and steps down when its vote went to another candidate; no failover
//!   starts just after a peer raised our epoch; a certain split is retried
//!   at once, staggered by run id; the leader chooses a replica on INFO
//!   taken after the master went down (`election.rs` explains each, and
//!   what redis-sentinel does instead).
//! - A replica stuck in reconf_sent times out after 10 s even when it holds
//!   the last parallel-syncs slot; failover-timeout ends reconf_slaves even
//!   while the promoted replica is SDOWN.
//! - A switch forgets the peers' down reports and votes about the old
//!   address.
//! - Names are learned at the first connection rather than resolved when
//!   an instance is created, so with `announce-hostnames no` a name is
//!   shown as itself until then; the config file always keeps names; a
//!   replica learned both by name and by IP before its name resolved is
//!   merged into the entry by name (`names.rs`).
//!
//! ## Coordinated switchover (rsentinel only)
//!
//! redis-sentinel's `SENTINEL FAILOVER` is not graceful (spec §9.2 #18):
//! the replica is promoted while the old master still takes writes, and the
//! old master is demoted only ≈ 10 s after the switch, so the writes it
//! acknowledged meanwhile (and any the replica had not received) are lost.
//! `SENTINEL FAILOVER <name> COORDINATED` keeps every acknowledged write:
//! the failover is forced as the plain form (new epoch, `+try-failover`,
//! `+elected-leader`), but instead of `SLAVEOF NO ONE` to the replica the
//! old master gets `FAILOVER TO <replica> TIMEOUT <min(failover-timeout,
//! 10 s)>` (Redis ≥ 6.2: pause writes, wait until the replica has the whole
//! stream, swap the roles), announced by `+failover-state-coordinated`
//! (no `+failover-state-send-slaveof-noone`/`-wait-promotion`). The
//! replica's INFO, asked on FAILOVER's reply and then every 100 ms,
//! confirms the promotion as usual; the rest of the failover is unchanged,
//! and the old master, already following the new one, is never sent
//! `SLAVEOF`. It is refused before anything is sent when the master is
//! unreachable (`-NOGOODMASTER`), runs Redis < 6.2 (`-ERR`), or no replica
//! fits (`-NOGOODSLAVE`). A master that answers FAILOVER with an error
//! aborts it (`-failover-abort-coordinated <error>`, no trace left, not
//! even the 2 × failover-timeout block); no promotion within the timeout
//! plus 2 s aborts it (`-failover-abort-slave-timeout`) and sends `FAILOVER
//! ABORT`. The plain three-argument form is redis-sentinel's, unchanged;
//! any other argument count gets redis-sentinel's arity error. `SENTINEL HELP` keeps
//! redis-sentinel's text.

mod admin;
mod candidate;
mod command;
mod coordinated;
mod ctx;
mod detect;
mod discovery;
mod election;
mod event;
mod failover;
mod fence;
mod guard;
mod hello;
// Re-exported so that the core's modules keep saying `super::ids`.
use crate::ids;
mod info;
mod input;
mod instance;
mod link;
mod masters;
mod monitor;
mod names;
mod options;
mod output;
mod pattern;
mod periodic;
mod quorum;
mod reconcile;
mod rng;
mod scripts;
mod select;
mod sentinel;
mod snapshot;
mod step;
mod timer;
mod users;
mod view;

pub use crate::ids::{Addr, Epoch, RunId};
pub use command::{
    AdminCommand, CONFIG_PARAMS, ConfigValue, SIMFAILURE_CRASH_AFTER_ELECTION,
    SIMFAILURE_CRASH_AFTER_PROMOTION, SetChange, SetOption, SimulateReply, has_control,
};
pub use event::{Event, EventLevel, InstanceKind, InstanceRef};
pub use hello::{HELLO_CHANNEL, Hello};
pub use info::{InfoReport, Role, parse_info};
pub use input::{Input, LinkId, RequestId, TLS_FAILED, Tag};
pub use output::{LinkKind, Output};
pub use rng::Rng;
pub use scripts::ScriptId;
pub use sentinel::{Sentinel, VIEW_REFRESH};
pub use timer::{Millis, Periods, Timer};
pub use view::{InstanceView, MasterView, MasterViews, ReplicaView, SentinelView, View};

#[cfg(test)]
mod tests;
