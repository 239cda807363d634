//! Links: the core's side of a TCP connection to an instance.
//!
//! The shell only opens, closes and carries bytes; everything else lives
//! here: which connection is current (each attempt gets a fresh
//! [`LinkId`], so late inputs from an old connection are recognised and
//! ignored), which commands await a reply (matched by [`Tag`]), and the
//! PING bookkeeping SDOWN is computed from (spec §7.1: `act_ping_time`,
//! `last_ping_time`, `last_avail_time`, `last_pong_time`).

use std::collections::{BTreeMap, VecDeque};

use super::guard::Claim;
use super::ids::{Addr, RunId};
use super::input::{LinkId, Tag};
use super::masters::MasterId;
use super::output::{LinkKind, Output};
use super::timer::{Millis, later, on_grid};
use crate::resp::EncodedCommand;

/// No periodic command is queued on a link with this many unanswered
/// commands per user (redis-sentinel's `SENTINEL_MAX_PENDING_COMMANDS`).
pub(crate) const MAX_PENDING_COMMANDS: usize = 100;

/// Who a connection belongs to, to route its inputs.
///
/// Masters are named by their [`MasterId`], not by name: an input is
/// routed without a string comparison. With a thousand masters, finding
/// a reply's master by name (three or four lookups per reply, each a walk
/// of string comparisons over keys scattered on the heap) was a large part
/// of the idle CPU. A master's links are closed before it is removed (and
/// their owners forgotten), so an id given again to a later master never
/// routes an old connection's input to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkOwner {
    /// A master's command or pub/sub link.
    Master(MasterId, LinkKind),
    /// A replica's command or pub/sub link (its master, its address).
    Replica(MasterId, Addr, LinkKind),
    /// The command link to a peer sentinel, shared by all masters.
    Peer(RunId),
}

/// What a pending command was, to interpret its reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cmd {
    /// `AUTH`, `CLIENT SETNAME`, `SCRIPT KILL`: reply ignored.
    Setup,
    /// `SUBSCRIBE` to the hello channel: an error (`-NOAUTH`, a wrong
    /// password) closes the pub/sub link, as hiredis does for
    /// redis-sentinel, so the instance shows `disconnected` until
    /// `SENTINEL SET ... auth-pass` gives the right password.
    Subscribe,
    /// `PING`.
    Ping,
    /// `INFO`.
    Info,
    /// `PUBLISH` of a hello.
    Publish,
    /// `SENTINEL is-master-down-by-addr` about this master, at this address
    /// (a reply about an address the master no longer has is stale).
    AskMasterDown(String, Addr),
    /// The `EXEC` closing a `SLAVEOF` transaction (`failover.rs`): its
    /// reply triggers an INFO at once, to see the new role without waiting.
    Exec,
    /// `SENTINEL MASTER <name>` sent to a peer to confirm a hello
    /// (`guard.rs`): its reply gives the peer's config epoch.
    ConfirmEpoch(String),
    /// `SENTINEL GET-MASTER-ADDR-BY-NAME <name>`, sent right after
    /// [`Cmd::ConfirmEpoch`]: its reply settles the claim.
    ConfirmAddr(Claim),
    /// `FAILOVER TO` sent to a master (`coordinated.rs`): an error reply
    /// aborts the coordinated failover, `+OK` asks the replica's INFO.
    FailoverTo,
}

impl Cmd {
    /// The master a question to a peer is about: its reply concerns that
    /// master alone (`step.rs`).
    pub fn about_master(&self) -> Option<&str> {
        match self {
            Cmd::AskMasterDown(name, _) | Cmd::ConfirmEpoch(name) => Some(name),
            Cmd::ConfirmAddr(claim) => Some(&claim.master),
            _ => None,
        }
    }
}

/// How long a change that may wait ([`Outbox::persist_soon`]) waits for
/// others before it is persisted.
pub(crate) const PERSIST_SOON: Millis = Millis(1000);

/// The outputs of the core plus the allocators and routing table that
/// outputs need; kept apart from the instances so that both can be borrowed.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    /// Outputs waiting to be polled.
    pub queue: VecDeque<Output>,
    /// Owner of every live connection id.
    pub owners: BTreeMap<LinkId, LinkOwner>,
    /// When the changes that may wait are due on disk
    /// ([`Outbox::persist_soon`]); cleared by every `Persist` queued, which
    /// holds them.
    pub persist_due: Option<Millis>,
    next_link: u64,
    next_tag: u64,
}

impl Outbox {
    /// Queues an output.
    pub fn push(&mut self, output: Output) {
        if matches!(output, Output::Persist(_)) {
            self.persist_due = None;
        }
        self.queue.push_back(output);
    }

    /// Queues a `Persist`. Its configuration is built when it is polled
    /// ([`Sentinel::poll_output`](super::sentinel::Sentinel::poll_output)),
    /// once for all those queued, from the state then: a copy of every
    /// master's configuration per change cost more than the change with a
    /// thousand masters.
    pub fn persist(&mut self) {
        self.push(Output::Persist(Box::default()));
    }

    /// Asks for a `Persist` of a change that loses nothing if a crash
    /// forgets it (a peer or a replica discovered, which the next hello or
    /// INFO teaches again): it is written within [`PERSIST_SOON`], together
    /// with the others of that time, instead of one rewrite (and two
    /// fsyncs) each. A sentinel joining a fleet that monitors 1000 masters
    /// learns 2000 peers in a few hello periods; redis-sentinel rewrites
    /// its file for each, and so did we (issue 10).
    pub fn persist_soon(&mut self, now: Millis) {
        self.persist_due.get_or_insert(now + PERSIST_SOON);
    }

    fn new_link(&mut self, owner: LinkOwner) -> LinkId {
        self.next_link += 1;
        let id = LinkId(self.next_link);
        self.owners.insert(id, owner);
        id
    }

    fn new_tag(&mut self) -> Tag {
        self.next_tag += 1;
        Tag(self.next_tag)
    }
}

/// The state of the current connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Conn {
    /// No connection; a new attempt is allowed once per ping period.
    Down,
    /// `Output::Connect` sent, waiting for `LinkUp`/`LinkDown`.
    Connecting(LinkId),
    /// Connected.
    Up(LinkId),
}

/// One link (command or pub/sub) to one instance.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    /// Command or pub/sub.
    pub kind: LinkKind,
    /// The current connection.
    pub conn: Conn,
    /// The local address of the socket, from `LinkUp`.
    pub local_addr: Option<Addr>,
    /// When the current connection came up.
    pub connected_at: Millis,
    /// When the last connection attempt was made.
    pub last_reconnect: Option<Millis>,
    /// Commands sent on the current connection and not answered yet.
    pub pending: BTreeMap<Tag, Cmd>,
    /// Send time of the oldest unanswered PING (set at creation, as
    /// redis-sentinel does, so that an unreachable instance goes SDOWN).
    pub act_ping: Option<Millis>,
    /// When the last PING was sent.
    pub last_ping: Option<Millis>,
    /// Last valid PING reply (`PONG`, `LOADING`, `MASTERDOWN`).
    pub last_avail: Millis,
    /// Last PING reply of any kind.
    pub last_pong: Millis,
    /// Round trip of the last PING answered when no other was pending (the
    /// reply then answers the last one sent): `None` until one is.
    pub last_rtt: Option<Millis>,
    /// Last frame of any kind on a pub/sub link.
    pub last_activity: Millis,
}

impl Link {
    /// A new, not yet connected link.
    pub fn new(kind: LinkKind, now: Millis) -> Link {
        Link {
            kind,
            conn: Conn::Down,
            local_addr: None,
            connected_at: now,
            last_reconnect: None,
            pending: BTreeMap::new(),
            act_ping: Some(now),
            last_ping: None,
            last_avail: now,
            last_pong: now,
            last_rtt: None,
            last_activity: now,
        }
    }

    /// The current connection id, if any.
    pub fn id(&self) -> Option<LinkId> {
        match self.conn {
            Conn::Down => None,
            Conn::Connecting(id) | Conn::Up(id) => Some(id),
        }
    }

    /// Whether the link is connected.
    pub fn is_up(&self) -> bool {
        matches!(self.conn, Conn::Up(_))
    }

    /// When a connection attempt is allowed (`None`: not down, or port 0).
    pub fn connect_due(&self, addr: &Addr, ping_period: Millis) -> Option<Millis> {
        if self.conn != Conn::Down || addr.port == 0 {
            return None;
        }
        Some(self.last_reconnect.map_or(Millis::ZERO, |t| t + ping_period))
    }

    /// Starts a connection attempt.
    pub fn connect(&mut self, out: &mut Outbox, now: Millis, owner: LinkOwner, addr: &Addr) {
        let link = out.new_link(owner);
        out.push(Output::Connect { link, addr: addr.clone(), kind: self.kind });
        self.conn = Conn::Connecting(link);
        self.last_reconnect = Some(now);
    }

    /// The connection `id` is up.
    pub fn on_up(&mut self, now: Millis, id: LinkId, local_addr: Option<Addr>) {
        self.conn = Conn::Up(id);
        self.local_addr = local_addr;
        self.connected_at = now;
        self.last_activity = now;
        self.pending.clear();
    }

    /// The connection went down (reported by the shell).
    pub fn on_down(&mut self, out: &mut Outbox) {
        if let Some(id) = self.id() {
            out.owners.remove(&id);
        }
        self.conn = Conn::Down;
        self.pending.clear();
    }

    /// Closes the connection ourselves; a new one may be opened at once.
    pub fn close(&mut self, out: &mut Outbox) {
        if let Some(link) = self.id() {
            out.push(Output::Disconnect { link });
        }
        self.on_down(out);
    }

    /// Closes the connection and forgets the reconnect throttle, so that the
    /// next step connects again (new address, new credentials, reset).
    pub fn reset(&mut self, out: &mut Outbox, now: Millis) {
        self.close(out);
        *self = Link::new(self.kind, now);
    }

    /// Whether a periodic command may be queued (`users` masters share it).
    pub fn can_queue(&self, users: usize) -> bool {
        self.is_up() && self.pending.len() < MAX_PENDING_COMMANDS * users.max(1)
    }

    /// Sends a command; returns false if the link is not connected.
    pub fn send(&mut self, out: &mut Outbox, cmd: Cmd, command: EncodedCommand) -> bool {
        let Conn::Up(link) = self.conn else { return false };
        let tag = out.new_tag();
        self.pending.insert(tag, cmd);
        out.push(Output::Send { link, tag, command });
        true
    }

    /// Records a PING just sent.
    pub fn on_ping_sent(&mut self, now: Millis) {
        self.last_ping = Some(now);
        self.act_ping.get_or_insert(now);
    }

    /// A PING reply arrived at `now` (its command already taken off
    /// `pending`): when no other PING is pending, replies come in order, so
    /// it answers the last one sent, and its round trip is known.
    pub fn on_ping_answered(&mut self, now: Millis) {
        self.last_pong = now;
        if let Some(sent) = self.last_ping
            && !self.pending.values().any(|c| *c == Cmd::Ping)
        {
            self.last_rtt = Some(now - sent);
        }
    }

    /// When the next PING is due (spec §7.1 rule 1): the last reply is
    /// older than the period and the last PING older than half of it, on
    /// the grid of periodic commands ([`on_grid`]).
    pub fn ping_due(&self, period: Millis) -> Option<Millis> {
        if !self.is_up() {
            return None;
        }
        let due = later(self.last_pong + period, self.last_ping.map(|t| t + Millis(period.0 / 2)));
        Some(on_grid(due, period))
    }

    /// When the instance is SDOWN for lack of a valid reply, with this
    /// down-after; `None` while everything asked has been answered.
    ///
    /// redis-sentinel counts down-after from the oldest unanswered PING
    /// (spec §7.1 rule 3), so a hang is only noticed down-after *after the
    /// next PING*, up to a ping period late. We count from the last valid
    /// reply: a master that stops answering is SDOWN down-after after it last
    /// answered. That is safe because PINGs go out at least three times per
    /// down-after (`Ctx::ping_period`), so a healthy instance always has a
    /// reply younger than down-after. When we were late to ask ourselves
    /// (a congested link, a stalled process), the PING still gets a third of
    /// down-after to be answered, as in redis-sentinel's own rule it would
    /// get all of it.
    pub fn unavailable_at(&self, down_after: Millis) -> Option<Millis> {
        match self.act_ping {
            Some(asked) => {
                let grace = Millis(down_after.0 / 3);
                Some((self.last_avail.min(asked) + down_after).max(asked + grace))
            }
            None if !self.is_up() => Some(self.last_avail + down_after),
            None => None,
        }
    }

    /// When a command link is closed for inactivity (spec §6.3): older than
    /// the minimum reconnect period, a PING pending for more than half of
    /// down-after, and no reply at all for as long.
    pub fn cmd_stale_at(&self, down_after: Millis, min_age: Millis) -> Option<Millis> {
        if !self.is_up() {
            return None;
        }
        let half = Millis(down_after.0 / 2);
        let pending = self.act_ping? + half;
        Some((self.connected_at + min_age).max(pending).max(self.last_pong + half))
    }

    /// When a pub/sub link is closed for inactivity (spec §6.3): older than
    /// the minimum reconnect period and silent for 3 publish periods.
    pub fn pubsub_stale_at(&self, publish: Millis, min_age: Millis) -> Option<Millis> {
        if !self.is_up() {
            return None;
        }
        Some((self.connected_at + min_age).max(self.last_activity + Millis(publish.0 * 3)))
    }
}

/// Builds a command, renaming its name with the master's `rename-command`
/// table (keys are lowercase).
pub(crate) fn command(
    renames: &[(String, String)],
    name: &'static str,
    args: &[&str],
) -> EncodedCommand {
    command_with(renames, name, args.iter().map(|a| a.as_bytes()))
}

/// [`command`] with arguments given as bytes (a password need not be
/// UTF-8).
pub(crate) fn command_with<'a>(
    renames: &'a [(String, String)],
    name: &'static str,
    args: impl Iterator<Item = &'a [u8]> + Clone,
) -> EncodedCommand {
    let renamed = renames.iter().find(|(from, _)| from.eq_ignore_ascii_case(name));
    let mut rest = args.clone().peekable();
    if renamed.is_none() && rest.peek().is_none() {
        match name {
            "PING" => return EncodedCommand::PING,
            "INFO" => return EncodedCommand::INFO,
            "MULTI" => return EncodedCommand::MULTI,
            "EXEC" => return EncodedCommand::EXEC,
            _ => {}
        }
    }
    let name = renamed.map_or(name, |(_, to)| to.as_str());
    EncodedCommand::new(std::iter::once(name.as_bytes()).chain(args))
}

/// `PUBLISH __sentinel__:hello <payload>`, renamed like [`command`].
pub(crate) fn publish_hello(renames: &[(String, String)], payload: &str) -> EncodedCommand {
    command(renames, "PUBLISH", &[super::hello::HELLO_CHANNEL, payload])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rename_applies_to_the_command_name_only() {
        let renames = vec![("ping".to_owned(), "P1NG".to_owned())];
        assert_eq!(command(&renames, "PING", &["ping"]).args(), [&b"P1NG"[..], b"ping"]);
        assert_eq!(command(&renames, "PING", &[]).args(), [&b"P1NG"[..]]);
        assert_eq!(command(&renames, "INFO", &[]), EncodedCommand::INFO);
        assert_eq!(command(&[], "PING", &[]), EncodedCommand::PING);
    }

    #[test]
    fn ping_due_waits_for_both_rules() {
        let mut link = Link::new(LinkKind::Command, Millis(0));
        assert_eq!(link.ping_due(Millis(1000)), None, "down links are not pinged");
        link.on_up(Millis(0), LinkId(1), None);
        link.on_ping_sent(Millis(0));
        link.last_pong = Millis(100);
        assert_eq!(link.ping_due(Millis(1000)), Some(Millis(1100)));
        link.last_ping = Some(Millis(900));
        assert_eq!(link.ping_due(Millis(1000)), Some(Millis(1400)));
    }

    #[test]
    fn the_round_trip_is_known_when_the_reply_answers_the_last_ping() {
        let mut link = Link::new(LinkKind::Command, Millis(0));
        link.on_up(Millis(0), LinkId(1), None);
        // Two PINGs pending (sent at 1000 and 1500): the first reply answers
        // the one of 1000, whose send time was not kept.
        link.pending.insert(Tag(1), Cmd::Ping);
        link.on_ping_sent(Millis(1000));
        link.pending.insert(Tag(2), Cmd::Ping);
        link.on_ping_sent(Millis(1500));
        link.pending.remove(&Tag(1));
        link.on_ping_answered(Millis(1600));
        assert_eq!(link.last_rtt, None, "not the last PING's reply");
        assert_eq!(link.last_pong, Millis(1600));
        // The second reply answers the last PING sent.
        link.pending.remove(&Tag(2));
        link.on_ping_answered(Millis(1570));
        assert_eq!(link.last_rtt, Some(Millis(70)));
        // Other commands pending do not matter.
        link.pending.insert(Tag(3), Cmd::Info);
        link.pending.insert(Tag(4), Cmd::Ping);
        link.on_ping_sent(Millis(2000));
        link.pending.remove(&Tag(4));
        link.on_ping_answered(Millis(2003));
        assert_eq!(link.last_rtt, Some(Millis(3)));
    }
}
