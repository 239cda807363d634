//! Time as the core sees it: plain milliseconds handed in by the shell.

use super::failover::VOTE_REQUEST_DESYNC;
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
}

/// The latest of two optional times (`None` = no constraint).
pub(crate) fn later(a: Millis, b: Option<Millis>) -> Millis {
    b.map_or(a, |b| a.max(b))
}

/// Whether `at` is reached: the action scheduled at `at` runs now.
pub(crate) fn reached(at: Option<Millis>, now: Millis) -> bool {
    at.is_some_and(|at| at <= now)
}

/// The 13 periods redis-sentinel lets `SENTINEL DEBUG` change, in the order
/// `SENTINEL DEBUG` lists them, with their defaults (spec §6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Periods {
    /// The values, indexed like [`Periods::NAMES`].
    values: [u64; 13],
    /// The bound of the random delay before a vote request (not one of the
    /// 13: `SENTINEL DEBUG` does not show it; only tests change it).
    vote_desync: u64,
}

impl Default for Periods {
    fn default() -> Self {
        Periods { values: Periods::DEFAULTS, vote_desync: VOTE_REQUEST_DESYNC.0 }
    }
}

impl Periods {
    /// The names as `SENTINEL DEBUG` prints them.
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

    /// redis-sentinel's defaults, in the order of [`Periods::NAMES`].
    pub const DEFAULTS: [u64; 13] = [
        10_000, 1_000, 1_000, 2_000, 30_000, 180_000, 2_000, 30_000, 10_000, 15_000, 10_000,
        60_000, 30_000,
    ];

    /// Every period as (name, value).
    pub fn all(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        Periods::NAMES.iter().copied().zip(self.values.iter().copied())
    }

    /// Sets the period `name` (any case); false if no period has that name.
    pub fn set(&mut self, name: &str, value: u64) -> bool {
        match Periods::NAMES.iter().position(|n| n.eq_ignore_ascii_case(name)) {
            Some(i) => {
                self.values[i] = value;
                true
            }
            None => false,
        }
    }

    fn get(&self, i: usize) -> Millis {
        Millis(self.values[i])
    }

    /// INFO period (10 s).
    pub fn info(&self) -> Millis {
        self.get(0)
    }
    /// PING period (1 s).
    pub fn ping(&self) -> Millis {
        self.get(1)
    }
    /// Period of is-master-down-by-addr questions (1 s).
    pub fn ask(&self) -> Millis {
        self.get(2)
    }
    /// Hello period (2 s).
    pub fn publish(&self) -> Millis {
        self.get(3)
    }
    /// `down-after-milliseconds` of masters added by SENTINEL MONITOR.
    pub fn default_down_after(&self) -> Millis {
        self.get(4)
    }
    /// `failover-timeout` of masters added by SENTINEL MONITOR.
    pub fn default_failover_timeout(&self) -> Millis {
        self.get(5)
    }
    /// Lateness that enters TILT (2 s).
    pub fn tilt_trigger(&self) -> Millis {
        self.get(6)
    }
    /// How long TILT lasts after the last trigger (30 s).
    pub fn tilt_period(&self) -> Millis {
        self.get(7)
    }
    /// A replica in `reconf_sent` this long counts as done (10 s).
    pub fn replica_reconf_timeout(&self) -> Millis {
        self.get(8)
    }
    /// A link younger than this is never closed for inactivity (15 s).
    pub fn min_link_reconnect(&self) -> Millis {
        self.get(9)
    }
    /// How long a candidate waits for votes, at most (10 s; capped by
    /// failover-timeout).
    pub fn election_timeout(&self) -> Millis {
        self.get(10)
    }
    /// A script running this long is killed (60 s).
    pub fn script_max_runtime(&self) -> Millis {
        self.get(11)
    }
    /// The first retry delay of a failed script, doubled per retry (30 s).
    pub fn script_retry_delay(&self) -> Millis {
        self.get(12)
    }
    /// A new election's vote request waits a random delay below this
    /// (`VOTE_REQUEST_DESYNC` in `failover.rs` unless a test changed it).
    pub fn vote_desync(&self) -> Millis {
        Millis(self.vote_desync)
    }
    /// Sets [`Periods::vote_desync`] (simulation experiments only).
    #[doc(hidden)]
    pub fn set_vote_desync(&mut self, bound: Millis) {
        self.vote_desync = bound.0;
    }
}
