//! The events a sentinel reports: logged, published on pub/sub, and handed
//! to notification scripts (spec §5).
//!
//! Every event has a *type*, which is also the pub/sub channel it is published
//! on (`+sdown`), a *level* (which decides whether it is logged, published and
//! scripted), and a *message*, the payload. Clients and scripts parse these
//! messages, so [`Event::message`] reproduces redis-sentinel 7.0's text byte
//! for byte; the tests below pin every variant, most of them against lines
//! captured from a running redis-sentinel 7.0.15.
//!
//! Most messages start with the instance prefix (`%@` in redis-sentinel's
//! sources), which [`InstanceRef`] renders: `<kind> <name> <ip> <port>`,
//! followed for replicas and sentinels by `@ <master-name> <master-ip>
//! <master-port>`, e.g. `slave 10.0.0.2:6380 10.0.0.2 6380 @ mymaster 10.0.0.1 6379`.

use std::fmt;

use super::ids::{Addr, Epoch, RunId};
use super::info::Role;

/// The instance an event concerns: one match for [`Event::instance`] and
/// [`Event::instance_mut`] (binding modes make it `&` or `&mut`).
macro_rules! instance_of {
    ($event:expr) => {{
        use Event::*;
        match $event {
            TiltOn
            | TiltOff
            | ScriptError { .. }
            | ScriptTimeout { .. }
            | ScriptChild { .. }
            | ScriptChildExit { .. } => None,
            Monitor { master, .. }
            | Set { master, .. }
            | SentinelAddressSwitch { master, .. }
            | OdownOn { master, .. }
            | NewEpoch { master, .. }
            | VoteForLeader { master, .. }
            | FailoverAbortCoordinated { master, .. }
            | FailoverAbortStuck { master, .. }
            | SwitchMaster { master, .. } => Some(master),
            SentinelAddressUpdate { sentinel, .. } => Some(sentinel),
            RoleChange { instance, .. }
            | CmdLinkReconnection { instance, .. }
            | PubsubLinkReconnection { instance, .. } => Some(instance),
            Unmonitor(i)
            | ResetMaster(i)
            | NewReplica(i)
            | NewSentinel(i)
            | SentinelInvalidAddr(i)
            | Reboot(i)
            | SdownOn(i)
            | SdownOff(i)
            | OdownOff(i)
            | TryFailover(i)
            | ElectedLeader(i)
            | FailoverStateSelectReplica(i)
            | SelectedReplica(i)
            | FailoverStateSendReplicaofNoOne(i)
            | FailoverStateWaitPromotion(i)
            | PromotedReplica(i)
            | FailoverStateReconfReplicas(i)
            | ReplicaReconfSent(i)
            | ReplicaReconfInProgress(i)
            | ReplicaReconfDone(i)
            | ReplicaReconfSentTimeout(i)
            | ReplicaReconfSentBestEffort(i)
            | FailoverEndForTimeout(i)
            | FailoverEnd(i)
            | ConfigUpdateFrom(i)
            | FailoverAbortNotElected(i)
            | FailoverAbortNoGoodReplica(i)
            | FailoverAbortReplicaTimeout(i)
            | FailoverStateCoordinated(i)
            | ConvertToReplica(i)
            | FixReplicaConfig(i)
            | FenceOn(i)
            | FenceOff(i) => Some(i),
        }
    }};
}

/// What kind of instance an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstanceKind {
    /// A monitored master.
    Master,
    /// A replica of a monitored master.
    Replica,
    /// A peer sentinel monitoring the same master.
    Sentinel,
}

impl InstanceKind {
    /// The word used in event messages: `master`, `slave` or `sentinel`.
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceKind::Master => "master",
            InstanceKind::Replica => "slave",
            InstanceKind::Sentinel => "sentinel",
        }
    }
}

/// The instance an event is about, as it is named in event messages.
///
/// Addresses are in announce form, as the rest of the sentinel shows them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstanceRef {
    /// Master, replica or sentinel.
    pub kind: InstanceKind,
    /// The master's name, a replica's `ip:port`, or a sentinel's run id.
    pub name: String,
    /// The instance's address.
    pub addr: Addr,
    /// For replicas and sentinels: the name and current address of the
    /// master they belong to. `None` for masters.
    pub master: Option<(String, Addr)>,
}

impl InstanceRef {
    /// A master called `name`, at `addr`.
    pub fn master(name: impl Into<String>, addr: Addr) -> InstanceRef {
        InstanceRef { kind: InstanceKind::Master, name: name.into(), addr, master: None }
    }

    /// The replica at `addr` (named `ip:port`) of the master `master_name`,
    /// currently at `master_addr`.
    pub fn replica(addr: Addr, master_name: impl Into<String>, master_addr: Addr) -> InstanceRef {
        InstanceRef {
            kind: InstanceKind::Replica,
            name: addr.name(),
            addr,
            master: Some((master_name.into(), master_addr)),
        }
    }

    /// The peer sentinel `runid` at `addr`, as known under the master
    /// `master_name`, currently at `master_addr`.
    pub fn sentinel(
        runid: &RunId,
        addr: Addr,
        master_name: impl Into<String>,
        master_addr: Addr,
    ) -> InstanceRef {
        InstanceRef {
            kind: InstanceKind::Sentinel,
            name: runid.to_string(),
            addr,
            master: Some((master_name.into(), master_addr)),
        }
    }

    /// The name of the master this instance is, or belongs to.
    pub fn master_name(&self) -> &str {
        match &self.master {
            Some((name, _)) => name,
            None => &self.name,
        }
    }
}

impl fmt::Display for InstanceRef {
    /// The `%@` prefix: `<kind> <name> <ip> <port>[ @ <master> <ip> <port>]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.kind.as_str(), self.name, self.addr)?;
        if let Some((name, addr)) = &self.master {
            write!(f, " @ {name} {addr}")?;
        }
        Ok(())
    }
}

/// How important an event is, as redis-sentinel's log levels.
///
/// Ordered from least to most important, so `level >= EventLevel::Notice`
/// reads naturally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventLevel {
    /// Logged only at `loglevel debug`; never published.
    Debug,
    /// Logged at `loglevel verbose`; published.
    Verbose,
    /// Logged at the default `loglevel notice`; published.
    Notice,
    /// Logged, published, and passed to the master's notification script.
    Warning,
}

impl EventLevel {
    /// The character Redis puts in a log line for this level
    /// (`.`, `-`, `*`, `#`).
    pub fn log_marker(self) -> char {
        match self {
            EventLevel::Debug => '.',
            EventLevel::Verbose => '-',
            EventLevel::Notice => '*',
            EventLevel::Warning => '#',
        }
    }
}

/// One event. Variants are named after their type; the doc of each gives
/// the type and the message format (`%@` is the instance prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `+monitor`: `%@ quorum <q>`; a master is now monitored.
    Monitor {
        /// The master.
        master: InstanceRef,
        /// Its quorum.
        quorum: u32,
    },
    /// `-monitor`: `%@`; a master was removed (SENTINEL REMOVE).
    Unmonitor(InstanceRef),
    /// `+reset-master`: `%@`; a master was reset (SENTINEL RESET).
    ResetMaster(InstanceRef),
    /// `+set`: `%@ <option> <value>`; one SENTINEL SET option was applied.
    ///
    /// For `rename-command` pass both names as the value (`"CONFIG MYCONFIG"`).
    /// The value of `auth-pass` is always shown as `******`.
    Set {
        /// The master.
        master: InstanceRef,
        /// The option as the client spelled it.
        option: String,
        /// The new value.
        value: String,
    },
    /// `+slave`: `%@`; a replica was discovered or re-added.
    NewReplica(InstanceRef),
    /// `+sentinel`: `%@`; a peer sentinel was discovered from a hello.
    NewSentinel(InstanceRef),
    /// `+sentinel-address-switch`: `%@ ip <ip> port <port> for <runid>`; a
    /// known run id now announces another address.
    SentinelAddressSwitch {
        /// The master under which the switch was seen.
        master: InstanceRef,
        /// The new address.
        addr: Addr,
        /// The peer's run id.
        runid: RunId,
    },
    /// `+sentinel-address-update`: `%@ <n> additional matching instances`;
    /// the peer's address was updated under other masters too.
    SentinelAddressUpdate {
        /// The peer.
        sentinel: InstanceRef,
        /// Under how many other masters it was updated.
        others: usize,
    },
    /// `+sentinel-invalid-addr`: `%@`; another run id claims this peer's
    /// address, so this one is forgotten.
    SentinelInvalidAddr(InstanceRef),
    /// `+reboot`: `%@`; the instance's INFO `run_id` changed.
    Reboot(InstanceRef),
    /// `+role-change` / `-role-change`: `%@ new reported role is <role>`.
    RoleChange {
        /// The master or replica.
        instance: InstanceRef,
        /// The role it now reports.
        reported: Role,
        /// Whether that role matches our config (`+`), or not (`-`).
        matches_config: bool,
    },
    /// `+sdown`: `%@`; the instance is subjectively down.
    SdownOn(InstanceRef),
    /// `-sdown`: `%@`; the instance is no longer subjectively down.
    SdownOff(InstanceRef),
    /// `+odown`: `%@ #quorum <votes>/<quorum>`; the master is objectively down.
    OdownOn {
        /// The master.
        master: InstanceRef,
        /// How many sentinels (this one included) think it is down.
        votes: u32,
        /// The configured quorum.
        quorum: u32,
    },
    /// `-odown`: `%@`; the master is no longer objectively down.
    OdownOff(InstanceRef),
    /// `+new-epoch`: `<epoch>`; the current epoch was raised.
    NewEpoch {
        /// The master whose failover or hello caused it (not printed).
        master: InstanceRef,
        /// The new current epoch.
        epoch: Epoch,
    },
    /// `+vote-for-leader`: `<runid> <epoch>`; this sentinel cast a vote.
    VoteForLeader {
        /// The master the vote is about (not printed).
        master: InstanceRef,
        /// The sentinel voted for.
        leader: RunId,
        /// The epoch of the vote.
        epoch: Epoch,
    },
    /// `+try-failover`: `%@`; a failover starts.
    TryFailover(InstanceRef),
    /// `+elected-leader`: `%@`; this sentinel leads the failover.
    ElectedLeader(InstanceRef),
    /// `+failover-state-select-slave`: `%@` (the master).
    FailoverStateSelectReplica(InstanceRef),
    /// `+selected-slave`: `%@` (the chosen replica).
    SelectedReplica(InstanceRef),
    /// `+failover-state-send-slaveof-noone`: `%@` (the chosen replica).
    FailoverStateSendReplicaofNoOne(InstanceRef),
    /// `+failover-state-wait-promotion`: `%@` (the chosen replica).
    FailoverStateWaitPromotion(InstanceRef),
    /// `+promoted-slave`: `%@`; the chosen replica reports role master.
    PromotedReplica(InstanceRef),
    /// `+failover-state-reconf-slaves`: `%@` (the master).
    FailoverStateReconfReplicas(InstanceRef),
    /// `+slave-reconf-sent`: `%@`; SLAVEOF the new master was sent.
    ReplicaReconfSent(InstanceRef),
    /// `+slave-reconf-inprog`: `%@`; the replica follows the new master.
    ReplicaReconfInProgress(InstanceRef),
    /// `+slave-reconf-done`: `%@`; the replica's link to the new master is up.
    ReplicaReconfDone(InstanceRef),
    /// `-slave-reconf-sent-timeout`: `%@`; counted as done after a timeout.
    ReplicaReconfSentTimeout(InstanceRef),
    /// `+slave-reconf-sent-be`: `%@`; best-effort SLAVEOF after the timeout.
    ReplicaReconfSentBestEffort(InstanceRef),
    /// `+failover-end-for-timeout`: `%@` (the master).
    FailoverEndForTimeout(InstanceRef),
    /// `+failover-end`: `%@` (the master).
    FailoverEnd(InstanceRef),
    /// `+switch-master`: `<name> <old-ip> <old-port> <new-ip> <new-port>`.
    SwitchMaster {
        /// The master, at its old address.
        master: InstanceRef,
        /// The address it moves to.
        new_addr: Addr,
    },
    /// `+config-update-from`: `%@`; the peer whose hello carried a newer
    /// master config.
    ConfigUpdateFrom(InstanceRef),
    /// `-failover-abort-not-elected`: `%@` (the master).
    FailoverAbortNotElected(InstanceRef),
    /// `-failover-abort-no-good-slave`: `%@` (the master).
    FailoverAbortNoGoodReplica(InstanceRef),
    /// `-failover-abort-slave-timeout`: `%@` (the master).
    FailoverAbortReplicaTimeout(InstanceRef),
    /// `+failover-state-coordinated`: `%@` (the chosen replica); rsentinel
    /// only: `FAILOVER TO <replica>` was sent to the master
    /// (`SENTINEL FAILOVER <name> COORDINATED`, `coordinated.rs`).
    FailoverStateCoordinated(InstanceRef),
    /// `-failover-abort-coordinated`: `%@ <error>` (the master); rsentinel
    /// only: the master refused `FAILOVER TO` with this error, nothing
    /// changed on the servers.
    FailoverAbortCoordinated {
        /// The master.
        master: InstanceRef,
        /// The master's error reply, as it sent it.
        error: String,
    },
    /// `-failover-abort-stuck`: `%@ <state>` (the master); rsentinel only:
    /// a `FAILOVER` left running on the master (its INFO's
    /// `master_failover_state`, not started by this sentinel) for
    /// failover-timeout was ended with `FAILOVER ABORT`.
    FailoverAbortStuck {
        /// The master.
        master: InstanceRef,
        /// The state the master reported.
        state: String,
    },
    /// `+convert-to-slave`: `%@`; SLAVEOF sent to a replica claiming master.
    ConvertToReplica(InstanceRef),
    /// `+fix-slave-config`: `%@`; SLAVEOF sent to a replica following the
    /// wrong master.
    FixReplicaConfig(InstanceRef),
    /// `+fence`: `%@`; rsentinel only (`fence.rs`): no majority of the
    /// sentinels answered within the master's `fence` time, its writes are
    /// paused.
    FenceOn(InstanceRef),
    /// `-fence`: `%@`; a majority answers and sent hellos again: the pause
    /// is no longer renewed.
    FenceOff(InstanceRef),
    /// `+tilt`: `#tilt mode entered`.
    TiltOn,
    /// `-tilt`: `#tilt mode exited`.
    TiltOff,
    /// `-script-error`: `<path> <signal> <exit-code>`; a script failed for
    /// good. A script that could not be started is reported as signal 99,
    /// exit code 0, as redis-sentinel does.
    ScriptError {
        /// The script's path.
        path: String,
        /// The signal that killed it, or 0.
        signal: i32,
        /// Its exit code.
        exit_code: i32,
    },
    /// `-script-timeout`: `<path> <pid>`; a script was killed after 60 s.
    ScriptTimeout {
        /// The script's path.
        path: String,
        /// Its process id.
        pid: u32,
    },
    /// `+script-child`: `<pid>` (debug, not published).
    ScriptChild {
        /// The child's process id.
        pid: u32,
    },
    /// `-script-child`: `<pid> <exit-code> <signal>` (debug, not published).
    ScriptChildExit {
        /// The child's process id.
        pid: u32,
        /// Its exit code.
        exit_code: i32,
        /// The signal that killed it, or 0.
        signal: i32,
    },
    /// `-cmd-link-reconnection`: `%@ #<error>` (debug, not published).
    CmdLinkReconnection {
        /// The instance whose command link failed.
        instance: InstanceRef,
        /// Why.
        error: String,
    },
    /// `-pubsub-link-reconnection`: `%@ #<error>` (debug, not published).
    PubsubLinkReconnection {
        /// The instance whose pub/sub link failed.
        instance: InstanceRef,
        /// Why.
        error: String,
    },
}

impl Event {
    /// The event type, which is also the pub/sub channel (e.g. `+sdown`).
    pub fn channel(&self) -> &'static str {
        use Event::*;
        match self {
            Monitor { .. } => "+monitor",
            Unmonitor(_) => "-monitor",
            ResetMaster(_) => "+reset-master",
            Set { .. } => "+set",
            NewReplica(_) => "+slave",
            NewSentinel(_) => "+sentinel",
            SentinelAddressSwitch { .. } => "+sentinel-address-switch",
            SentinelAddressUpdate { .. } => "+sentinel-address-update",
            SentinelInvalidAddr(_) => "+sentinel-invalid-addr",
            Reboot(_) => "+reboot",
            RoleChange { matches_config: true, .. } => "+role-change",
            RoleChange { matches_config: false, .. } => "-role-change",
            SdownOn(_) => "+sdown",
            SdownOff(_) => "-sdown",
            OdownOn { .. } => "+odown",
            OdownOff(_) => "-odown",
            NewEpoch { .. } => "+new-epoch",
            VoteForLeader { .. } => "+vote-for-leader",
            TryFailover(_) => "+try-failover",
            ElectedLeader(_) => "+elected-leader",
            FailoverStateSelectReplica(_) => "+failover-state-select-slave",
            SelectedReplica(_) => "+selected-slave",
            FailoverStateSendReplicaofNoOne(_) => "+failover-state-send-slaveof-noone",
            FailoverStateWaitPromotion(_) => "+failover-state-wait-promotion",
            PromotedReplica(_) => "+promoted-slave",
            FailoverStateReconfReplicas(_) => "+failover-state-reconf-slaves",
            ReplicaReconfSent(_) => "+slave-reconf-sent",
            ReplicaReconfInProgress(_) => "+slave-reconf-inprog",
            ReplicaReconfDone(_) => "+slave-reconf-done",
            ReplicaReconfSentTimeout(_) => "-slave-reconf-sent-timeout",
            ReplicaReconfSentBestEffort(_) => "+slave-reconf-sent-be",
            FailoverEndForTimeout(_) => "+failover-end-for-timeout",
            FailoverEnd(_) => "+failover-end",
            SwitchMaster { .. } => "+switch-master",
            ConfigUpdateFrom(_) => "+config-update-from",
            FailoverAbortNotElected(_) => "-failover-abort-not-elected",
            FailoverAbortNoGoodReplica(_) => "-failover-abort-no-good-slave",
            FailoverAbortReplicaTimeout(_) => "-failover-abort-slave-timeout",
            FailoverStateCoordinated(_) => "+failover-state-coordinated",
            FailoverAbortCoordinated { .. } => "-failover-abort-coordinated",
            FailoverAbortStuck { .. } => "-failover-abort-stuck",
            ConvertToReplica(_) => "+convert-to-slave",
            FixReplicaConfig(_) => "+fix-slave-config",
            FenceOn(_) => "+fence",
            FenceOff(_) => "-fence",
            TiltOn => "+tilt",
            TiltOff => "-tilt",
            ScriptError { .. } => "-script-error",
            ScriptTimeout { .. } => "-script-timeout",
            ScriptChild { .. } => "+script-child",
            ScriptChildExit { .. } => "-script-child",
            CmdLinkReconnection { .. } => "-cmd-link-reconnection",
            PubsubLinkReconnection { .. } => "-pubsub-link-reconnection",
        }
    }

    /// The event's level, as in redis-sentinel.
    pub fn level(&self) -> EventLevel {
        use Event::*;
        match self {
            ScriptChild { .. }
            | ScriptChildExit { .. }
            | CmdLinkReconnection { .. }
            | PubsubLinkReconnection { .. } => EventLevel::Debug,
            RoleChange { .. } => EventLevel::Verbose,
            NewReplica(_)
            | NewSentinel(_)
            | SentinelAddressSwitch { .. }
            | SentinelAddressUpdate { .. }
            | SentinelInvalidAddr(_)
            | Reboot(_)
            | FailoverStateSendReplicaofNoOne(_)
            | FailoverStateWaitPromotion(_)
            | FailoverStateCoordinated(_)
            | ReplicaReconfSent(_)
            | ReplicaReconfInProgress(_)
            | ReplicaReconfDone(_)
            | ReplicaReconfSentTimeout(_)
            | ReplicaReconfSentBestEffort(_)
            | ConvertToReplica(_)
            | FixReplicaConfig(_)
            | FenceOff(_) => EventLevel::Notice,
            _ => EventLevel::Warning,
        }
    }

    /// Whether the event goes to pub/sub subscribers (all but debug events).
    pub fn is_published(&self) -> bool {
        self.level() > EventLevel::Debug
    }

    /// The instance the event concerns, if any. Its [`InstanceRef::master_name`]
    /// picks the notification script of a warning event.
    pub fn instance(&self) -> Option<&InstanceRef> {
        instance_of!(self)
    }

    /// The instance the event concerns, mutable.
    fn instance_mut(&mut self) -> Option<&mut InstanceRef> {
        instance_of!(self)
    }

    /// Rewrites every address the event names with `f` (a replica's
    /// `ip:port` name follows its address): the core puts events in
    /// announce form this way, in one place (`names.rs`).
    pub(crate) fn map_addrs(&mut self, f: impl Fn(&Addr) -> Addr) {
        if let Event::SentinelAddressSwitch { addr, .. }
        | Event::SwitchMaster { new_addr: addr, .. } = self
        {
            *addr = f(addr);
        }
        if let Some(i) = self.instance_mut() {
            i.addr = f(&i.addr);
            if i.kind == InstanceKind::Replica {
                i.name = i.addr.name();
            }
            if let Some((_, master_addr)) = &mut i.master {
                *master_addr = f(master_addr);
            }
        }
    }

    /// The message (pub/sub payload), exactly as redis-sentinel writes it.
    pub fn message(&self) -> String {
        use Event::*;
        match self {
            Monitor { master, quorum } => format!("{master} quorum {quorum}"),
            Set { master, option, value } => {
                // The password never reaches logs, subscribers or scripts.
                let value = if option.eq_ignore_ascii_case("auth-pass") { "******" } else { value };
                format!("{master} {option} {value}")
            }
            SentinelAddressSwitch { master, addr, runid } => {
                format!("{master} ip {} port {} for {runid}", addr.host, addr.port)
            }
            SentinelAddressUpdate { sentinel, others } => {
                format!("{sentinel} {others} additional matching instances")
            }
            RoleChange { instance, reported, .. } => {
                format!("{instance} new reported role is {}", reported.as_str())
            }
            OdownOn { master, votes, quorum } => format!("{master} #quorum {votes}/{quorum}"),
            NewEpoch { epoch, .. } => epoch.to_string(),
            VoteForLeader { leader, epoch, .. } => format!("{leader} {epoch}"),
            SwitchMaster { master, new_addr } => {
                format!("{} {} {new_addr}", master.name, master.addr)
            }
            FailoverAbortCoordinated { master, error } => format!("{master} {error}"),
            FailoverAbortStuck { master, state } => format!("{master} {state}"),
            TiltOn => "#tilt mode entered".to_owned(),
            TiltOff => "#tilt mode exited".to_owned(),
            ScriptError { path, signal, exit_code } => format!("{path} {signal} {exit_code}"),
            ScriptTimeout { path, pid } => format!("{path} {pid}"),
            ScriptChild { pid } => pid.to_string(),
            ScriptChildExit { pid, exit_code, signal } => format!("{pid} {exit_code} {signal}"),
            CmdLinkReconnection { instance, error }
            | PubsubLinkReconnection { instance, error } => format!("{instance} #{error}"),
            // Every other event is the bare instance prefix.
            _ => self.instance().map(ToString::to_string).unwrap_or_default(),
        }
    }
}

impl fmt::Display for Event {
    /// `<type> <message>`: the text of the log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.channel(), self.message())
    }
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
