//! PING and SHUTDOWN.

use bytes::Bytes;
use tracing::warn;

use super::{Outcome, Session};
use crate::errors;
use crate::resp::{Frame, Protocol};
use crate::server::Shared;

/// `PING [message]`: `+PONG`, the message as a bulk string, or in RESP2
/// subscribed mode `["pong", message]`.
pub fn ping(session: &Session, args: &[Bytes]) -> Frame {
    if args.len() > 2 {
        return errors::wrong_arity("ping");
    }
    let msg = args.get(1).cloned();
    if session.proto == Protocol::Resp2 && session.is_subscribed() {
        return Frame::Array(vec![Frame::bulk("pong"), Frame::Bulk(msg.unwrap_or_default())]);
    }
    match msg {
        Some(m) => Frame::Bulk(m),
        None => Frame::Simple("PONG".into()),
    }
}

/// `SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]`: stops the process.
/// A sentinel has no dataset, so SAVE is the same as NOSAVE.
pub fn shutdown(shared: &Shared, args: &[Bytes]) -> Outcome {
    for a in &args[1..] {
        let a = a.to_ascii_lowercase();
        match a.as_slice() {
            b"nosave" | b"save" | b"now" | b"force" => {}
            b"abort" => return Frame::error(errors::NO_SHUTDOWN_IN_PROGRESS).into(),
            _ => return Frame::error(errors::SYNTAX).into(),
        }
    }
    warn!("User requested shutdown...");
    let _ = shared.shutdown.send(true);
    Outcome::Close(None)
}
