//! Everything that can happen to the core.

use bytes::Bytes;

use super::command::AdminCommand;
use super::ids::Addr;
use super::scripts::ScriptId;
use crate::resp::Frame;

/// Identifies one outgoing connection, chosen by the core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub u64);

/// Identifies one command sent on a link, chosen by the core, so that a
/// reply is matched with what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag(pub u64);

/// Identifies a client request waiting for the core's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

/// An input to [`Sentinel::handle`](super::Sentinel::handle).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Input {
    /// Time passed; the core checks its deadlines.
    Timeout,
    /// A link asked for with `Output::Connect` is connected.
    LinkUp {
        /// The link.
        link: LinkId,
        /// The local address of the socket (announced in hellos when no
        /// `announce-ip` is set).
        local_addr: Option<Addr>,
        /// The address the socket reached: the IP the shell resolved the
        /// host of `Output::Connect` to (`names.rs`).
        remote_addr: Option<Addr>,
    },
    /// A link failed to connect or was closed. Commands in flight on it
    /// will get no reply.
    LinkDown {
        /// The link.
        link: LinkId,
        /// Why, for the log: [`TLS_FAILED`] when the TLS session could not
        /// be set up, which (before the link was up) is also an event.
        reason: String,
    },
    /// A reply to a command sent with `Output::Send`.
    Reply {
        /// The link it arrived on.
        link: LinkId,
        /// The tag of the command it answers.
        tag: Tag,
        /// The reply.
        frame: Frame,
    },
    /// A pub/sub message received on a pub/sub link.
    Message {
        /// The link it arrived on.
        link: LinkId,
        /// The channel (`__sentinel__:hello`).
        channel: Bytes,
        /// The payload.
        payload: Bytes,
    },
    /// A client command that needs the core (it changes state, or answers
    /// with state the published view does not hold).
    Admin {
        /// Where the answer goes.
        request: RequestId,
        /// The command, parsed.
        command: AdminCommand,
    },
    /// A script asked for with `Output::RunScript` started as process `pid`
    /// (optional: only for `-script-timeout` and PENDING-SCRIPTS).
    ScriptStarted {
        /// The job.
        id: ScriptId,
        /// Its process id.
        pid: u32,
    },
    /// A script asked for with `Output::RunScript` ended (a script that
    /// could not be started is reported as exit code 2).
    ScriptExited {
        /// The job.
        id: ScriptId,
        /// Its exit code, if it exited.
        code: Option<i32>,
        /// The signal that killed it, if one did.
        signal: Option<i32>,
    },
}

/// `Input::LinkDown`'s reason when the TLS handshake failed: the text of
/// redis-sentinel's `-cmd-link-reconnection` / `-pubsub-link-reconnection`
/// in that case (`sentinelReconnectInstance`).
pub const TLS_FAILED: &str = "Failed to initialize TLS";
