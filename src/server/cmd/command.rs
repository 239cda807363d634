//! COMMAND: describes the sentinel command table, as `rename-command`
//! left it (removed commands are gone; a renamed one is found by its new
//! name and described by its table name, as redis does).

use bytes::Bytes;

use super::table::{Renames, Spec, live, lookup_renamed};
use crate::errors;
use crate::resp::Frame;

/// `COMMAND [COUNT|LIST|INFO|DOCS|GETKEYS|HELP ...]`.
pub fn command(args: &[Bytes], renames: &Renames) -> Frame {
    let Some(sub) = args.get(1) else {
        return Frame::Array(live(renames).map(|c| info(c, None)).collect());
    };
    match sub.to_ascii_lowercase().as_slice() {
        b"count" => Frame::Integer(live(renames).count() as i64),
        b"list" => {
            let mut names = Vec::new();
            for c in live(renames) {
                names.push(Frame::bulk(c.name));
                names.extend(
                    c.subcommands
                        .iter()
                        .filter(|s| !s.newer)
                        .map(|s| Frame::bulk(format!("{}|{}", c.name, s.name))),
                );
            }
            Frame::Array(names)
        }
        b"info" => {
            let specs: Vec<Frame> = if args.len() == 2 {
                live(renames).map(|c| info(c, None)).collect()
            } else {
                args[2..]
                    .iter()
                    .map(|name| match find(name, renames) {
                        Some((spec, parent)) => info(spec, parent),
                        None => Frame::NullArray,
                    })
                    .collect()
            };
            Frame::Array(specs)
        }
        b"docs" => {
            let chosen: Vec<&Spec> = if args.len() == 2 {
                live(renames).collect()
            } else {
                args[2..].iter().filter_map(|n| find(n, renames).map(|(s, _)| s)).collect()
            };
            Frame::Map(
                chosen
                    .into_iter()
                    .map(|s| {
                        let doc = Frame::map([
                            ("summary", Frame::bulk(s.summary)),
                            ("since", Frame::bulk("1.0.0")),
                            (
                                "group",
                                Frame::bulk(if s.name == "sentinel" {
                                    "sentinel"
                                } else {
                                    "server"
                                }),
                            ),
                        ]);
                        (Frame::bulk(s.name), doc)
                    })
                    .collect(),
            )
        }
        b"getkeys" | b"getkeysandflags" => Frame::error(errors::NO_KEY_ARGUMENTS),
        b"help" => Frame::Array(
            [
                "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "(no subcommand)",
                "    Return details about all Redis commands.",
                "COUNT",
                "    Return the total number of commands in this Redis server.",
                "LIST",
                "    Return a list of all commands in this Redis server.",
                "INFO [<command-name> ...]",
                "    Return details about multiple Redis commands.",
                "DOCS [<command-name> ...]",
                "    Return documentation details about multiple Redis commands.",
                "HELP",
                "    Prints this help.",
            ]
            .iter()
            .map(|l| Frame::Simple((*l).into()))
            .collect(),
        ),
        _ => errors::unknown_subcommand(sub, "command"),
    }
}

/// Finds `name` or `container|sub`; returns the spec and its container.
fn find(name: &Bytes, renames: &Renames) -> Option<(&'static Spec, Option<&'static Spec>)> {
    let lower = name.to_ascii_lowercase();
    match lower.iter().position(|&b| b == b'|') {
        Some(bar) => {
            let parent = lookup_renamed(renames, &lower[..bar])?;
            Some((parent.subcommand(&lower[bar + 1..])?, Some(parent)))
        }
        None => Some((lookup_renamed(renames, &lower)?, None)),
    }
}

/// One COMMAND INFO entry: name, arity, flags, first/last key, step, ACL
/// categories, tips, key specs, subcommands.
fn info(spec: &Spec, parent: Option<&Spec>) -> Frame {
    let name = match parent {
        Some(p) => format!("{}|{}", p.name, spec.name),
        None => spec.name.to_string(),
    };
    Frame::Array(vec![
        Frame::bulk(name),
        Frame::Integer(spec.arity as i64),
        Frame::Array(spec.flags.iter().map(|f| Frame::Simple((*f).into())).collect()),
        Frame::Integer(0),
        Frame::Integer(0),
        Frame::Integer(0),
        Frame::Array(spec.acl.iter().map(|f| Frame::Simple((*f).into())).collect()),
        Frame::Array(vec![]),
        Frame::Array(vec![]),
        Frame::Array(
            spec.subcommands.iter().filter(|s| !s.newer).map(|s| info(s, Some(spec))).collect(),
        ),
    ])
}
