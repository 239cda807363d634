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
pub mod table;

use std::collections::BTreeSet;

use bytes::Bytes;

use super::Shared;
use super::errors;
use crate::resp::{Frame, Protocol};

/// The per-connection state commands read and change.
#[derive(Debug)]
pub struct Session {
    /// The client's id.
    pub id: u64,
    /// RESP2 or RESP3 (HELLO).
    pub proto: Protocol,
    /// Whether the client has authenticated (always true without a password).
    pub authenticated: bool,
    /// Subscribed channels.
    pub channels: BTreeSet<Bytes>,
    /// Subscribed patterns.
    pub patterns: BTreeSet<Bytes>,
}

impl Session {
    /// A new connection's session.
    pub fn new(id: u64, needs_auth: bool) -> Session {
        Session {
            id,
            proto: Protocol::Resp2,
            authenticated: !needs_auth,
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
}

impl From<Frame> for Outcome {
    fn from(f: Frame) -> Outcome {
        Outcome::Reply(f)
    }
}

/// Runs one command.
pub async fn execute(session: &mut Session, shared: &Shared, args: Vec<Bytes>) -> Outcome {
    let name = args[0].to_ascii_lowercase();
    // QUIT is not in redis-sentinel 7's table, but load balancers' health
    // checks (HAProxy tcp-check) end with it: answer +OK and close.
    if name == b"quit" {
        return Outcome::Close(Some(Frame::ok()));
    }
    let Some(spec) = table::lookup_renamed(&shared.facts.renames, &name) else {
        return errors::unknown_command(&args).into();
    };
    if !spec.arity_ok(args.len()) {
        return errors::wrong_arity(spec.name).into();
    }
    let mut full_name = spec.name.to_string();
    if !spec.subcommands.is_empty() {
        match spec.subcommand(&args[1]) {
            Some(sub) if !sub.arity_ok(args.len()) => {
                return errors::wrong_arity(&format!("{}|{}", spec.name, sub.name)).into();
            }
            Some(sub) => full_name = format!("{}|{}", spec.name, sub.name),
            None => return errors::unknown_subcommand(&args[1], spec.name).into(),
        }
    }
    if !session.authenticated && spec.name != "auth" && spec.name != "hello" {
        return Frame::error(errors::NOAUTH).into();
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
    shared.count_command();
    shared.clients.update(session.id, |c| {
        c.last_cmd = full_name;
        c.last_active = std::time::Instant::now();
    });
    match spec.name {
        "acl" => acl::acl(session, shared, &args).into(),
        "auth" => auth::auth(session, shared, &args).into(),
        "client" => client::client(session, shared, &args),
        "command" => command::command(&args, &shared.facts.renames).into(),
        "hello" => auth::hello(session, shared, &args).into(),
        "info" => info::info(shared, &args).into(),
        "ping" => ping::ping(session, &args).into(),
        "psubscribe" | "subscribe" | "unsubscribe" | "punsubscribe" => {
            pubsub::subscription(session, shared, spec.name, &args)
        }
        "publish" => pubsub::publish(shared, args).await.into(),
        "role" => sentinel::role(shared).into(),
        "sentinel" => sentinel::sentinel(session, shared, args).await.into(),
        "shutdown" => ping::shutdown(shared, &args),
        other => unreachable!("command {other} is in the table but has no handler"),
    }
}

/// An argument as text (lossy), for names and options.
pub(crate) fn text(b: &Bytes) -> String {
    String::from_utf8_lossy(b).into_owned()
}
