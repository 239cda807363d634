//! Everything the core asks the shell to do.

use super::event::Event;
use super::ids::Addr;
use super::input::{LinkId, RequestId, Tag};
use super::scripts::ScriptId;
use crate::config::{Config, LogLevel};
use crate::resp::{EncodedCommand, Frame};

/// The two kinds of link to a monitored Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LinkKind {
    /// Commands: PING, INFO, PUBLISH, failover commands, votes.
    Command,
    /// Pub/sub: subscribed to the hello channel.
    PubSub,
}

/// An output drained with [`Sentinel::poll_output`](super::Sentinel::poll_output).
///
/// Outputs must be carried out in the order they are polled: a
/// [`Output::Persist`] is durable before any later output happens, which is
/// how a vote is on disk before the reply that grants it leaves.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Output {
    /// Open a connection. The shell reports `LinkUp` or `LinkDown`.
    Connect {
        /// The link's id.
        link: LinkId,
        /// Where to connect.
        addr: Addr,
        /// Command or pub/sub link (the shell routes pub/sub messages as
        /// `Input::Message`).
        kind: LinkKind,
    },
    /// Close a connection (no `LinkDown` follows).
    Disconnect {
        /// The link.
        link: LinkId,
    },
    /// Send a command on a link; its reply comes back with the same tag.
    Send {
        /// The link.
        link: LinkId,
        /// Echoed in the `Input::Reply`.
        tag: Tag,
        /// The command and its arguments, encoded.
        command: EncodedCommand,
    },
    /// Log this event, publish it to clients, run scripts for it.
    Event(Event),
    /// Write the configuration to disk, atomically and durably, now.
    Persist(Box<Config>),
    /// Answer a client request.
    Reply {
        /// The request.
        request: RequestId,
        /// The reply.
        frame: Frame,
        /// When true, the reply is only true if the last `Persist` before it
        /// succeeded; otherwise the shell answers
        /// `ERR Failed to save config file. Check server logs.`
        needs_persist: bool,
    },
    /// Run a script: `path` with `args` (no shell). The shell reports
    /// `Input::ScriptExited` (and may report `Input::ScriptStarted`).
    RunScript {
        /// The job.
        id: ScriptId,
        /// The executable.
        path: String,
        /// Its arguments (after argv\[0\]).
        args: Vec<String>,
    },
    /// Kill a running script with SIGKILL (its exit is still reported).
    KillScript {
        /// The job.
        id: ScriptId,
    },
    /// Log at this level from now on (`SENTINEL CONFIG SET loglevel`).
    LogLevel(LogLevel),
    /// Exit the process with this code (`SENTINEL SIMULATE-FAILURE`).
    Exit(i32),
}
