//! Client commands: table lookup, arity and auth checks, then one module per
//! command family. Commands compute replies; the connection writes them.

mod acl;
mod auth;
mod client;
mod command;
mod info;
mod ping;
pub mod pubsub;
mod sentinel;
pub use crate::commands as table;

use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::oneshot;

use super::Shared;
use super::acl_log::Reason;
use super::client::Record;
use crate::acl::{Denied, User};
use crate::commands::Spec;
use crate::errors;
use crate::resp::{Frame, Protocol};

/// The per-connection state commands read and change.
#[derive(Debug)]
pub struct Session {
    /// The client's id.
    pub id: u64,
    /// The client's own record in the registry (CLIENT LIST), updated
    /// after every command.
    pub record: Record,
    /// When the connection last read requests: the time the commands read
    /// then are stamped with (CLIENT LIST `idle=`), taken once per read as
    /// redis stamps a client's last interaction when it reads, not per
    /// command (a clock read costs as much as a small command).
    pub now: Instant,
    /// The command name and time last written to the record: a pipelined
    /// batch of one command updates the record once.
    stamped: Option<(&'static str, Instant)>,
    /// RESP2 or RESP3 (HELLO).
    pub proto: Protocol,
    /// The user the client runs as (`default` until AUTH).
    pub user: String,
    /// Whether the client authenticated: with AUTH or HELLO, or by
    /// connecting while the default user was on with no password
    /// ([`crate::acl::Acl::open`]). As in redis, such a client stays
    /// authenticated when the default user changes (`CLIENT KILL USER
    /// default` ends it); others may run commands only while it is open.
    pub authenticated: bool,
    /// Subscribed channels.
    pub channels: BTreeSet<Bytes>,
    /// Subscribed patterns.
    pub patterns: BTreeSet<Bytes>,
}

impl Session {
    /// A new connection's session, for client `id` whose registry record
    /// is `record`; `open` = the default user needs no password now.
    pub fn new(id: u64, record: Record, open: bool) -> Session {
        Session {
            id,
            record,
            now: Instant::now(),
            stamped: None,
            proto: Protocol::Resp2,
            user: "default".into(),
            authenticated: open,
            channels: BTreeSet::new(),
            patterns: BTreeSet::new(),
        }
    }

    /// True when subscribed to anything.
    pub fn is_subscribed(&self) -> bool {
        !self.channels.is_empty() || !self.patterns.is_empty()
    }
}

/// What the connection does after a command.
#[derive(Debug)]
pub enum Outcome {
    /// Write one reply.
    Reply(Frame),
    /// Write several replies (SUBSCRIBE to several channels).
    Many(Vec<Frame>),
    /// Write the reply, if any, then close the connection.
    Close(Option<Frame>),
    /// The core's reply, on its way: handed to the actor without waiting
    /// (see [`defers`]); written in its place among the replies.
    Deferred(oneshot::Receiver<Frame>),
}

impl From<Frame> for Outcome {
    fn from(f: Frame) -> Outcome {
        Outcome::Reply(f)
    }
}

/// A command found in the table, with its subcommand.
#[derive(Debug)]
pub(crate) struct Target {
    /// The command.
    pub spec: &'static Spec,
    /// True when `spec` has subcommands (the name is `command|sub`).
    pub has_sub: bool,
    /// `ping`, `sentinel|masters`.
    pub full_name: &'static str,
    /// The flags of the command, or of its subcommand.
    pub flags: &'static [&'static str],
}

/// Why a command cannot run at all.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Not in the table.
    UnknownCommand,
    /// A container command with an unknown subcommand.
    UnknownSubcommand,
    /// Wrong number of arguments for this full name.
    Arity(String),
}

/// Whether [`execute`] hands `args` to the core without waiting for the
/// reply ([`Outcome::Deferred`]): a peer's `SENTINEL IS-MASTER-DOWN-BY-ADDR`.
/// A peer pipelines one per master on one connection, and every vote is
/// saved before its reply; waiting for each reply before reading the next
/// question made one save per question, and with a hundred masters failing
/// together the last vote request of a batch waited a few hundred ms (long
/// enough for the peer asked to start a competing election). Handed over
/// together, they are handled in one batch and saved once. Other commands
/// wait for the deferred replies before they run (the connection flushes
/// them first), so every reply still shows what the commands before it did.
pub fn defers(shared: &Shared, args: &[Bytes]) -> bool {
    resolve(&shared.facts.renames, args).is_ok_and(|t| defers_target(&t))
}

fn defers_target(target: &Target) -> bool {
    target.full_name == "sentinel|is-master-down-by-addr"
}

/// Looks a command line up in the table (as `rename-command` left it) and
/// checks its arity.
pub(crate) fn resolve(renames: &table::Renames, args: &[Bytes]) -> Result<Target, Refusal> {
    let spec = table::lookup_renamed(renames, &args[0]).ok_or(Refusal::UnknownCommand)?;
    if !spec.arity_ok(args.len()) {
        return Err(Refusal::Arity(spec.name.to_string()));
    }
    if spec.subcommands.is_empty() {
        return Ok(Target { spec, has_sub: false, full_name: spec.name, flags: spec.flags });
    }
    let i = spec
        .subcommands
        .iter()
        .position(|s| s.name.as_bytes().eq_ignore_ascii_case(&args[1]))
        .ok_or(Refusal::UnknownSubcommand)?;
    let sub = &spec.subcommands[i];
    let full_name = subcommand_full_name(spec, i);
    if !sub.arity_ok(args.len()) {
        return Err(Refusal::Arity(full_name.to_string()));
    }
    Ok(Target { spec, has_sub: true, full_name, flags: sub.flags })
}

/// `command|sub` for the `i`th subcommand of `spec`: every such name is
/// written once, on first use, so that no command formats its name (it is
/// kept for CLIENT LIST's `cmd=` after every command).
fn subcommand_full_name(spec: &'static table::Spec, i: usize) -> &'static str {
    static NAMES: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        table::COMMANDS
            .iter()
            .map(|c| c.subcommands.iter().map(|s| format!("{}|{}", c.name, s.name)).collect())
            .collect()
    });
    let command = table::COMMANDS
        .iter()
        .position(|c| std::ptr::eq(c, spec))
        .expect("the spec is in the table");
    &names[command][i]
}

/// Whether `user` may run `target` with `args`: the command (or its first
/// argument) and every channel it names. AUTH and HELLO are always allowed.
pub(crate) fn permission(user: &User, target: &Target, args: &[Bytes]) -> Result<(), Denied> {
    if user.unrestricted() || target.spec.flags.contains(&"no_auth") {
        return Ok(());
    }
    let Some(id) = crate::acl::find(target.full_name) else { return Err(Denied::Command) };
    let first_arg = args.get(if target.has_sub { 2 } else { 1 }).map(|a| a.as_ref());
    let channels: Vec<(usize, &[u8], bool)> = match target.spec.name {
        "subscribe" | "psubscribe" => {
            let pattern = target.spec.name == "psubscribe";
            args.iter().enumerate().skip(1).map(|(i, a)| (i, a.as_ref(), pattern)).collect()
        }
        "publish" => vec![(1, args[1].as_ref(), false)],
        _ => Vec::new(),
    };
    user.check(id, first_arg, &channels)
}

/// Refuses a command the session's user may not run, logging it.
fn check_permission(
    session: &Session,
    shared: &Shared,
    target: &Target,
    args: &[Bytes],
) -> Option<Frame> {
    let denied = match shared.view.load().acl.user(&session.user) {
        Some(user) => permission(user, target, args).err()?,
        None => Denied::Command,
    };
    let info = shared.clients.get(session.id).map(|c| c.line(std::time::Instant::now()));
    let (reason, object, text) = match denied {
        Denied::Command => (
            Reason::Command,
            target.full_name.to_string(),
            errors::noperm_command(target.full_name),
        ),
        Denied::Channel(i) => {
            (Reason::Channel, self::text(&args[i]), errors::NOPERM_CHANNEL.to_string())
        }
    };
    shared.acl_log.add(reason, &object, &session.user, info.unwrap_or_default());
    Some(Frame::error(text))
}

/// Runs one command.
pub async fn execute(session: &mut Session, shared: &Shared, args: Vec<Bytes>) -> Outcome {
    // QUIT is not in redis-sentinel 7's table, but load balancers' health
    // checks (HAProxy tcp-check) end with it: answer +OK and close.
    if args[0].eq_ignore_ascii_case(b"quit") {
        return Outcome::Close(Some(Frame::ok()));
    }
    let target = match resolve(&shared.facts.renames, &args) {
        Ok(target) => target,
        Err(Refusal::UnknownCommand) => return errors::unknown_command(&args).into(),
        Err(Refusal::UnknownSubcommand) => {
            return errors::unknown_subcommand(
                &args[1],
                table::lookup_renamed(&shared.facts.renames, &args[0]).map_or("", |s| s.name),
            )
            .into();
        }
        Err(Refusal::Arity(full)) => return errors::wrong_arity(&full).into(),
    };
    let spec = target.spec;
    if !session.authenticated && !spec.flags.contains(&"no_auth") && !shared.view.load().acl.open()
    {
        return Frame::error(errors::NOAUTH).into();
    }
    // Before the permission check, so that ACL LOG's client info names
    // the refused command, as redis's does.
    let stamp = (target.full_name, session.now);
    if session.stamped != Some(stamp) {
        session.stamped = Some(stamp);
        session.record.update(|c| (c.last_cmd, c.last_active) = stamp);
    }
    if let Some(refused) = check_permission(session, shared, &target, &args) {
        return refused.into();
    }
    if session.proto == Protocol::Resp2
        && session.is_subscribed()
        && !matches!(
            spec.name,
            "subscribe" | "psubscribe" | "unsubscribe" | "punsubscribe" | "ping"
        )
    {
        return errors::subscribed_context(spec.name).into();
    }
    let write = target.flags.iter().any(|f| matches!(*f, "write" | "may_replicate"));
    shared.pause.wait(write).await;
    shared.count_command();
    match spec.name {
        "acl" => acl::acl(session, shared, args).await,
        "auth" => auth::auth(session, shared, &args).into(),
        "client" => client::client(session, shared, &args),
        "command" => command::command(&args, &shared.facts.renames).into(),
        "hello" => auth::hello(session, shared, &args).into(),
        "info" => {
            shared.current_view().await;
            info::info(shared, &args).into()
        }
        "ping" => ping::ping(session, &args).into(),
        "psubscribe" | "subscribe" | "unsubscribe" | "punsubscribe" => {
            pubsub::subscription(session, shared, spec.name, &args)
        }
        "publish" => pubsub::publish(shared, args).await.into(),
        "role" => sentinel::role(shared).into(),
        "sentinel" if defers_target(&target) => sentinel::hand_over(shared, &args).await,
        "sentinel" => {
            // The address clients ask for only changes with an announced
            // event, which the actor publishes at once: that query never
            // waits for the actor. The listings show link times and INFO.
            if !args.get(1).is_some_and(|sub| {
                sub.eq_ignore_ascii_case(b"get-master-addr-by-name")
                    || sub.eq_ignore_ascii_case(b"get-primary-addr-by-name")
                    || sub.eq_ignore_ascii_case(b"myid")
            }) {
                shared.current_view().await;
            }
            sentinel::sentinel(session, shared, args).await.into()
        }
        "shutdown" => ping::shutdown(shared, &args),
        other => unreachable!("command {other} is in the table but has no handler"),
    }
}

/// An argument as text (lossy), for names and options.
pub(crate) fn text(b: &Bytes) -> String {
    String::from_utf8_lossy(b).into_owned()
}
