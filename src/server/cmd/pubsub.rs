//! SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, and the
//! messages subscribed clients receive.

use bytes::Bytes;

use super::{Outcome, Session};
use crate::core::AdminCommand;
use crate::glob;
use crate::resp::Frame;
use crate::server::{PubMessage, Shared};

/// A pub/sub frame: a push in RESP3, an array in RESP2 (the encoder decides).
fn push(items: Vec<Frame>) -> Frame {
    Frame::Push(items)
}

fn count(session: &Session) -> Frame {
    Frame::Integer((session.channels.len() + session.patterns.len()) as i64)
}

/// Any of the four subscription commands.
pub fn subscription(session: &mut Session, shared: &Shared, name: &str, args: &[Bytes]) -> Outcome {
    let mut replies = Vec::new();
    let names: Vec<Bytes> = match name {
        "unsubscribe" if args.len() == 1 => session.channels.iter().cloned().collect(),
        "punsubscribe" if args.len() == 1 => session.patterns.iter().cloned().collect(),
        _ => args[1..].to_vec(),
    };
    for n in &names {
        match name {
            "subscribe" => {
                session.channels.insert(n.clone());
            }
            "psubscribe" => {
                session.patterns.insert(n.clone());
            }
            "unsubscribe" => {
                session.channels.remove(n);
            }
            _ => {
                session.patterns.remove(n);
            }
        }
        replies.push(push(vec![Frame::bulk(name), Frame::Bulk(n.clone()), count(session)]));
    }
    if names.is_empty() {
        // UNSUBSCRIBE with nothing subscribed: one reply with a null channel.
        replies.push(push(vec![Frame::bulk(name), Frame::Null, count(session)]));
    }
    let channels: Vec<Bytes> = session.channels.iter().cloned().collect();
    let patterns: Vec<Bytes> = session.patterns.iter().cloned().collect();
    shared.clients.update(session.id, |c| {
        c.sub = channels.len();
        c.psub = patterns.len();
        c.channels = channels;
        c.patterns = patterns;
    });
    Outcome::Many(replies)
}

/// The frames a message produces for this session (one per matching
/// channel or pattern subscription).
pub fn deliver(session: &Session, msg: &PubMessage) -> Vec<Frame> {
    let mut out = Vec::new();
    if session.channels.contains(msg.channel.as_bytes()) {
        out.push(push(vec![
            Frame::bulk("message"),
            Frame::bulk(&msg.channel),
            Frame::bulk(&msg.payload),
        ]));
    }
    for p in &session.patterns {
        if glob::matches(p, msg.channel.as_bytes(), false) {
            out.push(push(vec![
                Frame::bulk("pmessage"),
                Frame::Bulk(p.clone()),
                Frame::bulk(&msg.channel),
                Frame::bulk(&msg.payload),
            ]));
        }
    }
    out
}

/// `PUBLISH channel message`: a sentinel only accepts hellos from peers,
/// which go to the core. The reply is always 1, as redis-sentinel's, and
/// is sent without waiting for the core ([`Shared::tell_core`]).
pub async fn publish(shared: &Shared, args: Vec<Bytes>) -> Frame {
    match AdminCommand::parse_publish(&args) {
        Ok(hello) => match shared.tell_core(hello).await {
            true => Frame::Integer(1),
            false => Frame::error(crate::errors::SHUTTING_DOWN),
        },
        Err(refusal) => refusal,
    }
}
