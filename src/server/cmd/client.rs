//! CLIENT: SETNAME, GETNAME, SETINFO, ID, LIST, INFO, KILL, PAUSE, UNPAUSE,
//! and harmless answers for the rest of redis-sentinel's subcommands.

use std::time::Instant;

use bytes::Bytes;

use super::{Outcome, Session, text};
use crate::errors;
use crate::resp::{Frame, Protocol};
use crate::server::{ClientInfo, Shared};

/// A client name may not contain spaces, newlines or special characters.
pub fn valid_name(name: &[u8]) -> bool {
    name.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

/// `CLIENT <subcommand> ...` (arity already checked by the table).
pub fn client(session: &mut Session, shared: &Shared, args: &[Bytes]) -> Outcome {
    let sub = args[1].to_ascii_lowercase();
    let me = || shared.clients.get(session.id);
    let reply = match sub.as_slice() {
        b"id" => Frame::Integer(session.id as i64),
        b"setname" => {
            if !valid_name(&args[2]) {
                return Frame::error(errors::BAD_CLIENT_NAME).into();
            }
            let name = text(&args[2]);
            shared.clients.update(session.id, |c| c.name = name);
            Frame::ok()
        }
        b"getname" => match me() {
            Some(c) if !c.name.is_empty() => Frame::bulk(c.name),
            _ => Frame::Null,
        },
        b"setinfo" => {
            let attr = args[2].to_ascii_lowercase();
            let value = text(&args[3]);
            if !valid_name(&args[3]) && !args[3].is_empty() {
                return Frame::error(errors::setinfo_bad_value(&text(&args[2]))).into();
            }
            match attr.as_slice() {
                b"lib-name" => shared.clients.update(session.id, |c| c.lib_name = value),
                b"lib-ver" => shared.clients.update(session.id, |c| c.lib_ver = value),
                _ => {
                    return Frame::error(errors::unrecognized_option(&text(&args[2]))).into();
                }
            }
            Frame::ok()
        }
        b"info" => {
            let line = me().map(|c| c.line(Instant::now())).unwrap_or_default() + "\n";
            text_reply(session.proto, line)
        }
        b"list" => list(session, shared, args),
        b"kill" => return kill(session, shared, args),
        b"help" => help(),
        b"reply" | b"no-evict" | b"caching" => Frame::ok(),
        b"pause" => pause(shared, args),
        b"unpause" => {
            shared.pause.unpause();
            Frame::ok()
        }
        b"getredir" => Frame::Integer(-1),
        b"unblock" => Frame::Integer(0),
        b"tracking" => Frame::error(errors::NO_TRACKING),
        b"trackinginfo" => Frame::map([
            ("flags", Frame::Array(vec![Frame::bulk("off")])),
            ("redirect", Frame::Integer(-1)),
            ("prefixes", Frame::Array(vec![])),
        ]),
        _ => errors::unknown_subcommand(&args[1], "client"),
    };
    reply.into()
}

/// Verbatim text in RESP3 (CLIENT INFO/LIST, INFO), a bulk string in RESP2.
pub fn text_reply(proto: Protocol, s: String) -> Frame {
    match proto {
        Protocol::Resp3 => Frame::Verbatim(s),
        Protocol::Resp2 => Frame::bulk(s),
    }
}

/// `CLIENT PAUSE <ms> [WRITE|ALL]`, with redis-sentinel's checks: the mode
/// first, then the timeout.
fn pause(shared: &Shared, args: &[Bytes]) -> Frame {
    if args.len() > 4 {
        return Frame::error(errors::client_usage(&text(&args[1])));
    }
    let all = match args.get(3).map(|m| m.to_ascii_lowercase()) {
        None => true,
        Some(m) if m == b"all" => true,
        Some(m) if m == b"write" => false,
        Some(_) => return Frame::error(errors::PAUSE_MODE),
    };
    let Ok(ms) = text(&args[2]).parse::<i64>() else {
        return Frame::error(errors::TIMEOUT_NOT_INTEGER);
    };
    if ms < 0 {
        return Frame::error(errors::TIMEOUT_NEGATIVE);
    }
    // A timeout past what a clock can hold pauses for a century.
    let now = tokio::time::Instant::now();
    let century = std::time::Duration::from_secs(100 * 365 * 86_400);
    let until = now + std::time::Duration::from_millis(ms as u64).min(century);
    shared.pause.pause(until, all);
    Frame::ok()
}

fn list(session: &Session, shared: &Shared, args: &[Bytes]) -> Frame {
    let mut clients = shared.clients.list();
    if args.len() > 2 {
        let opt = args[2].to_ascii_lowercase();
        match (opt.as_slice(), args.len()) {
            (b"type", 4) => {
                let Some(f) = type_filter(&args[3]) else {
                    return Frame::error(errors::unknown_client_type(&text(&args[3])));
                };
                clients.retain(f);
            }
            (b"id", n) if n >= 4 => {
                let mut ids = Vec::new();
                for a in &args[3..] {
                    match text(a).parse::<u64>() {
                        Ok(id) if id > 0 => ids.push(id),
                        _ => return Frame::error(errors::INVALID_CLIENT_ID),
                    }
                }
                clients.retain(|c| ids.contains(&c.id));
            }
            _ => return Frame::error(errors::SYNTAX),
        }
    }
    let now = Instant::now();
    let body: String = clients.iter().map(|c| c.line(now) + "\n").collect();
    text_reply(session.proto, body)
}

type Filter = fn(&ClientInfo) -> bool;
type BoxedFilter = Box<dyn Fn(&ClientInfo) -> bool>;

fn type_filter(kind: &[u8]) -> Option<Filter> {
    match kind.to_ascii_lowercase().as_slice() {
        b"normal" => Some(|c| !c.is_pubsub()),
        b"pubsub" => Some(|c| c.is_pubsub()),
        b"master" | b"replica" | b"slave" => Some(|_| false),
        _ => None,
    }
}

fn kill(session: &Session, shared: &Shared, args: &[Bytes]) -> Outcome {
    // Old form: CLIENT KILL ip:port.
    if args.len() == 3 {
        let addr = text(&args[2]);
        let n = shared.clients.kill(|c| c.addr == addr);
        return if n == 0 { Frame::error(errors::NO_SUCH_CLIENT) } else { Frame::ok() }.into();
    }
    if !args.len().is_multiple_of(2) {
        return Frame::error(errors::SYNTAX).into();
    }
    let mut filters: Vec<BoxedFilter> = Vec::new();
    let mut skipme = true;
    for pair in args[2..].chunks(2) {
        let (opt, val) = (pair[0].to_ascii_lowercase(), text(&pair[1]));
        match opt.as_slice() {
            b"id" => match val.parse::<u64>() {
                Ok(id) => filters.push(Box::new(move |c| c.id == id)),
                Err(_) => return Frame::error(errors::CLIENT_ID_NOT_POSITIVE).into(),
            },
            b"type" => match type_filter(&pair[1]) {
                Some(f) => filters.push(Box::new(f)),
                None => return Frame::error(errors::unknown_client_type(&val)).into(),
            },
            b"addr" => filters.push(Box::new(move |c| c.addr == val)),
            b"laddr" => filters.push(Box::new(move |c| c.laddr == val)),
            b"user" => filters.push(Box::new(move |c| c.user == val)),
            b"skipme" => match val.to_ascii_lowercase().as_str() {
                "yes" => skipme = true,
                "no" => skipme = false,
                _ => return Frame::error(errors::SYNTAX).into(),
            },
            _ => return Frame::error(errors::SYNTAX).into(),
        }
    }
    let me = session.id;
    let killed_self =
        !skipme && filters.iter().all(|f| shared.clients.get(me).is_some_and(|c| f(&c)));
    let n = shared.clients.kill(|c| (!skipme || c.id != me) && filters.iter().all(|f| f(c)));
    if killed_self {
        // Redis answers first, then closes the calling client.
        return Outcome::Close(Some(Frame::Integer(n as i64)));
    }
    Frame::Integer(n as i64).into()
}

fn help() -> Frame {
    let lines = [
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are: ID, TYPE (NORMAL|PUBSUB|MASTER|REPLICA), ADDR, LADDR, USER, SKIPME.",
        "LIST [options ...]",
        "    Return information about client connections. Options: TYPE, ID.",
        "GETNAME",
        "    Return the name of the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <LIB-NAME|LIB-VER> <value>",
        "    Set client meta attributes.",
        "HELP",
        "    Prints this help.",
    ];
    Frame::Array(lines.iter().map(|l| Frame::Simple((*l).into())).collect())
}
