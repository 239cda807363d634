//! Time as the core sees it: plain milliseconds handed in by the shell.

use super::candidate::VOTE_REQUEST_DESYNC;
pub use crate::millis::Millis;

/// The named timers of the core (quinn's `Timer` enum): every deadline the
/// core asks the shell for is one of these, armed for one instance.
///
/// Deadlines are not stored and then forgotten to be cancelled: after every
/// input the core recomputes each instance's deadlines from its state with
/// the same `*_due` functions that decide whether the action runs, so a timer
/// can never fire for nothing nor be lost (see `Sentinel::rearm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// A down link may try to connect again (at most once per ping period).
    Reconnect,
    /// A PING is due on a command link.
    Ping,
    /// An INFO is due (masters and replicas).
    Info,
    /// A hello is due (`PUBLISH __sentinel__:hello`).
    Hello,
    /// Ask a peer whether it sees an SDOWN master down.
    AskPeers,
    /// A peer's last is-master-down-by-addr reply gets too old to count.
    AskExpiry,
    /// `down-after-milliseconds` (or a reboot/role rule) expires: SDOWN.
    DownAfter,
    /// A link saw no activity for too long and is closed (spec §6.3).
    CloseStaleLink,
    /// TILT lasts long enough to end.
    TiltEnd,
    /// A failover may start again: 2 × failover-timeout after the last one.
    FailoverRetry,
    /// The random desync before a candidate votes and asks for votes.
    VoteRequest,
    /// The election is lost: min(election timeout, failover-timeout).
    ElectionTimeout,
    /// A failover state lasted failover-timeout (abort, or end for timeout).
    FailoverTimeout,
    /// A replica in `reconf_sent` for the replica reconf timeout.
    ReplicaReconfTimeout,
    /// A replica reporting a wrong role or master may be reconfigured
    /// (`+convert-to-slave`, `+fix-slave-config`).
    Reconcile,
    /// A `FAILOVER` left running on a master is due to be aborted
    /// (`coordinated.rs`).
    StuckHandover,
    /// Fencing (`fence.rs`): a peer's PING goes unanswered for the fence
    /// time, or the master's write pause is due to be renewed.
    Fence,
    /// Changes that may wait are written (`Outbox::persist_soon`).
    Persist,
    /// A queued script may start (or be retried).
    ScriptRetry,
    /// A script ran for the max runtime and is killed.
    ScriptTimeout,
}

/// The earliest of a set of deadlines, and which timer it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Earliest(pub Option<(Millis, Timer)>);

impl Earliest {
    /// Keeps `at` if it is earlier than what is kept.
    pub fn arm(&mut self, timer: Timer, at: Option<Millis>) {
        if let Some(at) = at
            && self.0.is_none_or(|(t, _)| at < t)
        {
            self.0 = Some((at, timer));
        }
    }

    /// Whether what is kept is no later than `at`: arming a deadline at
    /// `at` or later would change nothing.
    pub fn holds_by(&self, at: Millis) -> bool {
        self.0.is_some_and(|(t, _)| t <= at)
    }
}

/// The latest of two optional times (`None` = no constraint).
pub(crate) fn later(a: Millis, b: Option<Millis>) -> Millis {
    b.map_or(a, |b| a.max(b))
}

/// The coarsest step of the grid on which periodic commands are due.
const GRID: Millis = Millis(100);

/// `at` moved back to the grid of an instance pinged every `ping_period`
/// (a tenth of a second, or a quarter of a short ping period).
///
/// PING, INFO and hello fall due on the same grid, so an instance's
/// periodic commands that come due within one step of it leave in one
/// write and their replies come back in one read, and the masters' and the
/// peers' due commands gather in one step of the core instead of one wake
/// each (redis-sentinel's timer runs ten times a second for the same
/// reason). A command goes out up to one step early, never late: a PING
/// period stays above three quarters of itself, and SDOWN, counted from
/// replies, is not delayed.
pub(crate) fn on_grid(at: Millis, ping_period: Millis) -> Millis {
    let step = GRID.0.min(ping_period.0 / 4).max(1);
    Millis(at.0 - at.0 % step)
}

/// Whether `at` is reached: the action scheduled at `at` runs now.
pub(crate) fn reached(at: Option<Millis>, now: Millis) -> bool {
    at.is_some_and(|at| at <= now)
}

/// The 13 periods redis-sentinel lets `SENTINEL DEBUG` change, with their
/// defaults (spec §6.2), and the vote request desync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Periods {
    /// `INFO-PERIOD`: INFO period (10 s).
    info: Millis,
    /// `PING-PERIOD`: PING period (1 s).
    ping: Millis,
    /// `ASK-PERIOD`: period of is-master-down-by-addr questions (1 s).
    ask: Millis,
    /// `PUBLISH-PERIOD`: hello period (2 s).
    publish: Millis,
    /// `DEFAULT-DOWN-AFTER`: `down-after-milliseconds` of masters added by
    /// SENTINEL MONITOR (30 s).
    default_down_after: Millis,
    /// `DEFAULT-FAILOVER-TIMEOUT`: `failover-timeout` of masters added by
    /// SENTINEL MONITOR (3 min).
    default_failover_timeout: Millis,
    /// `TILT-TRIGGER`: lateness that enters TILT (2 s).
    tilt_trigger: Millis,
    /// `TILT-PERIOD`: how long TILT lasts after the last trigger (30 s).
    tilt_period: Millis,
    /// `SLAVE-RECONF-TIMEOUT`: a replica in `reconf_sent` this long counts
    /// as done (10 s).
    replica_reconf_timeout: Millis,
    /// `MIN-LINK-RECONNECT-PERIOD`: a link younger than this is never
    /// closed for inactivity (15 s).
    min_link_reconnect: Millis,
    /// `ELECTION-TIMEOUT`: how long a candidate waits for votes, at most
    /// (10 s; capped by failover-timeout).
    election_timeout: Millis,
    /// `SCRIPT-MAX-RUNTIME`: a script running this long is killed (60 s).
    script_max_runtime: Millis,
    /// `SCRIPT-RETRY-DELAY`: the first retry delay of a failed script,
    /// doubled per retry (30 s).
    script_retry_delay: Millis,
    /// The bound of the random delay before a vote request (not one of the
    /// 13: `SENTINEL DEBUG` does not show it; only tests change it).
    vote_desync: Millis,
}

impl Default for Periods {
    /// redis-sentinel's defaults.
    fn default() -> Self {
        Periods {
            info: Millis(10_000),
            ping: Millis(1_000),
            ask: Millis(1_000),
            publish: Millis(2_000),
            default_down_after: Millis(30_000),
            default_failover_timeout: Millis(180_000),
            tilt_trigger: Millis(2_000),
            tilt_period: Millis(30_000),
            replica_reconf_timeout: Millis(10_000),
            min_link_reconnect: Millis(15_000),
            election_timeout: Millis(10_000),
            script_max_runtime: Millis(60_000),
            script_retry_delay: Millis(30_000),
            vote_desync: VOTE_REQUEST_DESYNC,
        }
    }
}

impl Periods {
    /// The names as `SENTINEL DEBUG` prints them, in its order.
    pub const NAMES: [&'static str; 13] = [
        "INFO-PERIOD",
        "PING-PERIOD",
        "ASK-PERIOD",
        "PUBLISH-PERIOD",
        "DEFAULT-DOWN-AFTER",
        "DEFAULT-FAILOVER-TIMEOUT",
        "TILT-TRIGGER",
        "TILT-PERIOD",
        "SLAVE-RECONF-TIMEOUT",
        "MIN-LINK-RECONNECT-PERIOD",
        "ELECTION-TIMEOUT",
        "SCRIPT-MAX-RUNTIME",
        "SCRIPT-RETRY-DELAY",
    ];

    /// The 13 fields in the order of [`Periods::NAMES`]: the one place that
    /// pairs a name with its field.
    fn fields_mut(&mut self) -> [&mut Millis; 13] {
        [
            &mut self.info,
            &mut self.ping,
            &mut self.ask,
            &mut self.publish,
            &mut self.default_down_after,
            &mut self.default_failover_timeout,
            &mut self.tilt_trigger,
            &mut self.tilt_period,
            &mut self.replica_reconf_timeout,
            &mut self.min_link_reconnect,
            &mut self.election_timeout,
            &mut self.script_max_runtime,
            &mut self.script_retry_delay,
        ]
    }

    /// Every period as (name, value), in the order `SENTINEL DEBUG` lists
    /// them.
    pub fn all(&self) -> impl Iterator<Item = (&'static str, u64)> {
        let values = self.clone().fields_mut().map(|v| v.0);
        Periods::NAMES.into_iter().zip(values)
    }

    /// Sets the period `name` (any case); false if no period has that name.
    pub fn set(&mut self, name: &str, value: u64) -> bool {
        match Periods::NAMES.iter().position(|n| n.eq_ignore_ascii_case(name)) {
            Some(i) => {
                *self.fields_mut()[i] = Millis(value);
                true
            }
            None => false,
        }
    }

    /// INFO period (10 s).
    pub fn info(&self) -> Millis {
        self.info
    }
    /// PING period (1 s).
    pub fn ping(&self) -> Millis {
        self.ping
    }
    /// Period of is-master-down-by-addr questions (1 s).
    pub fn ask(&self) -> Millis {
        self.ask
    }
    /// Hello period (2 s).
    pub fn publish(&self) -> Millis {
        self.publish
    }
    /// `down-after-milliseconds` of masters added by SENTINEL MONITOR.
    pub fn default_down_after(&self) -> Millis {
        self.default_down_after
    }
    /// `failover-timeout` of masters added by SENTINEL MONITOR.
    pub fn default_failover_timeout(&self) -> Millis {
        self.default_failover_timeout
    }
    /// Lateness that enters TILT (2 s).
    pub fn tilt_trigger(&self) -> Millis {
        self.tilt_trigger
    }
    /// How long TILT lasts after the last trigger (30 s).
    pub fn tilt_period(&self) -> Millis {
        self.tilt_period
    }
    /// A replica in `reconf_sent` this long counts as done (10 s).
    pub fn replica_reconf_timeout(&self) -> Millis {
        self.replica_reconf_timeout
    }
    /// A link younger than this is never closed for inactivity (15 s).
    pub fn min_link_reconnect(&self) -> Millis {
        self.min_link_reconnect
    }
    /// How long a candidate waits for votes, at most (10 s; capped by
    /// failover-timeout).
    pub fn election_timeout(&self) -> Millis {
        self.election_timeout
    }
    /// A script running this long is killed (60 s).
    pub fn script_max_runtime(&self) -> Millis {
        self.script_max_runtime
    }
    /// The first retry delay of a failed script, doubled per retry (30 s).
    pub fn script_retry_delay(&self) -> Millis {
        self.script_retry_delay
    }
    /// A new election's vote request waits a random delay below this
    /// (`VOTE_REQUEST_DESYNC` in `candidate.rs` unless a test changed it).
    pub fn vote_desync(&self) -> Millis {
        self.vote_desync
    }
    /// Sets [`Periods::vote_desync`] (simulation experiments only).
    #[doc(hidden)]
    pub fn set_vote_desync(&mut self, bound: Millis) {
        self.vote_desync = bound;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_pair_with_their_fields() {
        let mut p = Periods::default();
        for (i, name) in Periods::NAMES.iter().enumerate() {
            assert!(p.set(&name.to_ascii_lowercase(), 100 + i as u64));
        }
        assert!(!p.set("VOTE-DESYNC", 1));
        assert_eq!((p.info(), p.ping(), p.publish()), (Millis(100), Millis(101), Millis(103)));
        assert_eq!(p.min_link_reconnect(), Millis(109));
        assert_eq!(p.script_retry_delay(), Millis(112));
        let listed: Vec<_> = p.all().collect();
        assert_eq!(listed[12], ("SCRIPT-RETRY-DELAY", 112));
        assert_eq!(p.vote_desync(), VOTE_REQUEST_DESYNC);
    }
}
