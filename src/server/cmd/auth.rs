//! AUTH and HELLO.
//!
//! Users: the `default` user, whose password is `requirepass` (none = no
//! authentication needed). ACL users from `user` lines come with the ACL
//! issue; until then any other user name is refused with WRONGPASS.

use bytes::Bytes;

use super::{Session, text};
use crate::resp::{Frame, Protocol};
use crate::server::{Shared, errors};

/// Checks a user/password pair against the configuration.
fn check(shared: &Shared, user: &[u8], pass: &[u8]) -> Result<(), Frame> {
    match &shared.facts.requirepass {
        _ if !user.eq_ignore_ascii_case(b"default") => Err(Frame::error(errors::WRONGPASS)),
        // With no password, redis accepts any password for `default`
        // only through HELLO AUTH / two-argument AUTH; one-argument AUTH
        // gets the explicit "no password configured" error.
        None => Ok(()),
        Some(p) if constant_time_eq(p.as_bytes(), pass) => Ok(()),
        Some(_) => Err(Frame::error(errors::WRONGPASS)),
    }
}

/// Compares without leaking where the first difference is.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `AUTH password` or `AUTH user password`.
pub fn auth(session: &mut Session, shared: &Shared, args: &[Bytes]) -> Frame {
    let (user, pass): (&[u8], &[u8]) = match args.len() {
        2 => {
            if shared.facts.requirepass.is_none() {
                return Frame::error(errors::AUTH_NO_PASSWORD);
            }
            (b"default", &args[1])
        }
        3 => (&args[1], &args[2]),
        _ => return Frame::error(errors::SYNTAX),
    };
    match check(shared, user, pass) {
        Ok(()) => {
            session.authenticated = true;
            Frame::ok()
        }
        Err(e) => e,
    }
}

/// `HELLO [protover [AUTH user pass] [SETNAME name]]`.
pub fn hello(session: &mut Session, shared: &Shared, args: &[Bytes]) -> Frame {
    let mut proto = session.proto;
    let mut i = 1;
    if let Some(v) = args.get(1) {
        let Ok(v) = text(v).parse::<i64>() else { return Frame::error(errors::PROTO_NOT_INTEGER) };
        proto = match v {
            2 => Protocol::Resp2,
            3 => Protocol::Resp3,
            _ => return Frame::error(errors::NOPROTO),
        };
        i = 2;
    }
    let mut name = None;
    while i < args.len() {
        let opt = args[i].to_ascii_lowercase();
        let more = args.len() - i - 1;
        if opt == b"auth" && more >= 2 {
            if let Err(e) = check(shared, &args[i + 1], &args[i + 2]) {
                return e;
            }
            session.authenticated = true;
            i += 3;
        } else if opt == b"setname" && more >= 1 {
            if !super::client::valid_name(&args[i + 1]) {
                return Frame::error(errors::BAD_CLIENT_NAME);
            }
            name = Some(text(&args[i + 1]));
            i += 2;
        } else {
            return Frame::error(format!("ERR Syntax error in HELLO option '{}'", text(&args[i])));
        }
    }
    if !session.authenticated {
        return Frame::error(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        );
    }
    session.proto = proto;
    shared.clients.update(session.id, |c| {
        c.resp = if proto == Protocol::Resp3 { 3 } else { 2 };
        if let Some(n) = name {
            c.name = n;
        }
    });
    Frame::map([
        ("server", Frame::bulk("redis")),
        ("version", Frame::bulk(shared.facts.redis_version)),
        ("proto", Frame::Integer(if proto == Protocol::Resp3 { 3 } else { 2 })),
        ("id", Frame::Integer(session.id as i64)),
        ("mode", Frame::bulk("sentinel")),
        ("modules", Frame::Array(vec![])),
    ])
}
