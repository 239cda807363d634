//! ACL: the read-only subcommands, answered for the single `default` user.
//! Full ACL users (`user` lines, SETUSER) come with their own issue.

use bytes::Bytes;

use super::{Session, text};
use crate::resp::Frame;
use crate::server::{Shared, errors};

/// `ACL <subcommand> ...`.
pub fn acl(_session: &Session, shared: &Shared, args: &[Bytes]) -> Frame {
    let rule = || {
        let pass = if shared.facts.requirepass.is_some() { "#<hidden>" } else { "nopass" };
        format!("user default on {pass} sanitize-payload ~* &* +@all")
    };
    match args[1].to_ascii_lowercase().as_slice() {
        b"whoami" => Frame::bulk("default"),
        b"users" => Frame::Array(vec![Frame::bulk("default")]),
        b"list" => Frame::Array(vec![Frame::bulk(rule())]),
        b"cat" => Frame::Array(
            [
                "keyspace",
                "read",
                "write",
                "admin",
                "fast",
                "slow",
                "pubsub",
                "dangerous",
                "connection",
            ]
            .iter()
            .map(|c| Frame::bulk(*c))
            .collect(),
        ),
        b"genpass" => Frame::error("ERR ACL GENPASS is not supported by this sentinel"),
        b"log" => Frame::Array(vec![]),
        b"help" => Frame::Array(vec![
            Frame::Simple("ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:".into()),
            Frame::Simple("WHOAMI, USERS, LIST, CAT, LOG, HELP".into()),
        ]),
        b"getuser" if text(&args[2]) == "default" => Frame::map([
            ("flags", Frame::Array(vec![Frame::bulk("on")])),
            ("commands", Frame::bulk("+@all")),
        ]),
        b"getuser" => Frame::Null,
        b"deluser" | b"setuser" | b"load" | b"save" | b"dryrun" => {
            Frame::error("ERR ACL changes are not supported by this sentinel yet")
        }
        _ => errors::unknown_subcommand(&args[1], "acl"),
    }
}
