//! AUTH and HELLO: a user name and password checked against the ACL users
//! ([`crate::acl`]); the `default` user's password is `requirepass`.
//! Failures are logged in `ACL LOG`, as redis logs them.

use bytes::Bytes;

use super::{Session, text};
use crate::errors;
use crate::resp::{Frame, Protocol};
use crate::server::Shared;
use crate::server::acl_log::Reason;

/// Authenticates the session as `user` with `pass`, or logs the failure
/// (`command` is the name the client sent, redis's log object).
fn login(
    session: &mut Session,
    shared: &Shared,
    command: &Bytes,
    user: &[u8],
    pass: &[u8],
) -> Result<(), Frame> {
    let acl = shared.view.load().acl.clone();
    let name = String::from_utf8_lossy(user).into_owned();
    if acl.authenticate(user, pass) {
        session.user = name.clone();
        session.authenticated = true;
        shared.clients.update(session.id, |c| c.user = name);
        return Ok(());
    }
    let info = shared.clients.get(session.id).map(|c| c.line(std::time::Instant::now()));
    shared.acl_log.add(Reason::Auth, &text(command), &name, info.unwrap_or_default());
    Err(Frame::error(errors::WRONGPASS))
}

/// `AUTH password` or `AUTH user password`.
pub fn auth(session: &mut Session, shared: &Shared, args: &[Bytes]) -> Frame {
    let (user, pass): (&[u8], &[u8]) = match args.len() {
        2 => {
            // redis answers this form with an error while the default user
            // has no password (even when it is off).
            let acl = shared.view.load().acl.clone();
            if acl.user("default").is_some_and(|d| d.nopass()) {
                return Frame::error(errors::AUTH_NO_PASSWORD);
            }
            (b"default", &args[1])
        }
        3 => (&args[1], &args[2]),
        _ => return Frame::error(errors::SYNTAX),
    };
    match login(session, shared, &args[0], user, pass) {
        Ok(()) => Frame::ok(),
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
            let (user, pass) = (args[i + 1].clone(), args[i + 2].clone());
            if let Err(e) = login(session, shared, &args[0], &user, &pass) {
                return e;
            }
            i += 3;
        } else if opt == b"setname" && more >= 1 {
            if !super::client::valid_name(&args[i + 1]) {
                return Frame::error(errors::BAD_CLIENT_NAME);
            }
            name = Some(text(&args[i + 1]));
            i += 2;
        } else {
            return Frame::error(errors::hello_syntax(&text(&args[i])));
        }
    }
    if !session.authenticated && !shared.view.load().acl.open() {
        return Frame::error(errors::HELLO_NOAUTH);
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
