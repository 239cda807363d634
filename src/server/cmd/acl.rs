//! ACL: users as redis-sentinel 7.0 has them ([`crate::acl`]).
//!
//! SETUSER and DELUSER change the users: the core applies and persists them
//! (they are `user` lines of the config), then the clients the change
//! concerns are closed, as redis closes them: every client of a deleted
//! user, and a subscriber whose channels its user may no longer use. Every
//! other subcommand reads the users from the view.

use bytes::Bytes;

use super::{Outcome, Session, text};
use crate::acl::{CATALOGUE, CATEGORIES, Selector, User, category_bit};
use crate::core::AdminCommand;
use crate::errors;
use crate::resp::Frame;
use crate::server::Shared;

/// `ACL <subcommand> ...` (arity checked by the table).
pub async fn acl(session: &Session, shared: &Shared, args: Vec<Bytes>) -> Outcome {
    let sub = args[1].to_ascii_lowercase();
    if sub == b"setuser" || sub == b"deluser" {
        let reply = change(shared, args).await;
        // A client whose own user was deleted gets the reply, then is
        // closed, as redis closes it (the others are closed at once).
        if shared.view.load().acl.user(&session.user).is_none() {
            return Outcome::Close(Some(reply));
        }
        return reply.into();
    }
    read(session, shared, &sub, &args).into()
}

/// The subcommands that only read the users.
fn read(session: &Session, shared: &Shared, sub: &[u8], args: &[Bytes]) -> Frame {
    match sub {
        b"whoami" => Frame::bulk(session.user.as_str()),
        b"users" => {
            let acl = shared.view.load().acl.clone();
            Frame::Array(acl.users().map(|u| Frame::bulk(u.name())).collect())
        }
        b"list" => {
            let acl = shared.view.load().acl.clone();
            Frame::Array(
                acl.users()
                    .map(|u| Frame::bulk(format!("user {} {}", u.name(), u.describe())))
                    .collect(),
            )
        }
        b"getuser" => {
            let acl = shared.view.load().acl.clone();
            acl.user(&text(&args[2])).map_or(Frame::Null, getuser)
        }
        b"cat" => cat(args),
        b"genpass" => genpass(args),
        b"log" => log(shared, args),
        b"dryrun" => dryrun(shared, args),
        b"load" | b"save" => Frame::error(errors::NO_ACL_FILE),
        b"help" => help(),
        _ => errors::unknown_subcommand(&args[1], "acl"),
    }
}

/// SETUSER / DELUSER through the core, then the closing of the clients
/// the change leaves without their rights.
async fn change(shared: &Shared, args: Vec<Bytes>) -> Frame {
    let command = match AdminCommand::parse_acl(&args) {
        Ok(command) => command,
        Err(refusal) => return refusal,
    };
    let setuser = match &command {
        AdminCommand::AclSetUser { name, .. } => Some(name.clone()),
        _ => None,
    };
    let reply = shared.ask_core(command).await;
    if matches!(reply, Frame::Error(_)) {
        return reply;
    }
    let acl = shared.view.load().acl.clone();
    if let Some(name) = setuser {
        if let Some(user) = acl.user(&name) {
            shared.clients.kill(|c| c.user == name && !subscriptions_allowed(user, c));
        }
    } else {
        shared.clients.kill(|c| acl.user(&c.user).is_none());
    }
    reply
}

/// True when `user` may still hold every subscription of client `c`.
fn subscriptions_allowed(user: &User, c: &crate::server::ClientInfo) -> bool {
    c.channels.iter().all(|ch| user.allows_channel(ch, false))
        && c.patterns.iter().all(|p| user.allows_channel(p, true))
}

/// `ACL GETUSER`'s map: flags, passwords, the root selector's commands,
/// keys and channels, then the other selectors.
fn getuser(user: &User) -> Frame {
    let selector = |s: &Selector| {
        [
            ("commands", Frame::bulk(s.command_rules())),
            ("keys", Frame::bulk(s.keys_text())),
            ("channels", Frame::bulk(s.channels_text())),
        ]
    };
    let mut fields = vec![
        ("flags", Frame::Array(user.flags().into_iter().map(Frame::bulk).collect())),
        (
            "passwords",
            Frame::Array(user.passwords().iter().map(|p| Frame::bulk(p.as_str())).collect()),
        ),
    ];
    fields.extend(selector(user.root()));
    fields.push((
        "selectors",
        Frame::Array(user.selectors().iter().map(|s| Frame::map(selector(s))).collect()),
    ));
    Frame::map(fields)
}

/// `ACL CAT [category]`.
fn cat(args: &[Bytes]) -> Frame {
    let Some(name) = args.get(2) else {
        return Frame::Array(CATEGORIES.iter().map(|c| Frame::bulk(*c)).collect());
    };
    if args.len() > 3 {
        return errors::wrong_arity("acl|cat");
    }
    let Some(bit) = category_bit(&text(name)) else {
        let shown: String = text(name).chars().take(128).collect();
        return Frame::error(errors::unknown_category(&shown));
    };
    Frame::Array(
        CATALOGUE
            .iter()
            .filter(|e| e.categories & bit != 0 && !e.newer)
            .map(|e| Frame::bulk(e.fullname.as_str()))
            .collect(),
    )
}

/// `ACL GENPASS [bits]`: random hex from the kernel.
fn genpass(args: &[Bytes]) -> Frame {
    const MAX_BITS: i64 = 4096;
    if args.len() > 3 {
        return errors::wrong_arity("acl|genpass");
    }
    let bits = match args.get(2).map(|b| text(b).parse::<i64>()) {
        None => 256,
        Some(Ok(n)) => n,
        Some(Err(_)) => return Frame::error(errors::NOT_AN_INTEGER),
    };
    if !(1..=MAX_BITS).contains(&bits) {
        return Frame::error(errors::genpass_bits(MAX_BITS));
    }
    let chars = (bits as usize).div_ceil(4);
    let mut bytes = vec![0u8; chars.div_ceil(2)];
    use std::io::Read;
    if std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).is_err() {
        return Frame::error(errors::NO_RANDOM_BYTES);
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Frame::bulk(&hex[..chars])
}

/// `ACL LOG [count | RESET]`.
fn log(shared: &Shared, args: &[Bytes]) -> Frame {
    if args.len() > 3 {
        return errors::wrong_arity("acl|log");
    }
    let count = match args.get(2) {
        None => 10,
        Some(a) if a.eq_ignore_ascii_case(b"reset") => {
            shared.acl_log.reset();
            return Frame::ok();
        }
        Some(a) => match text(a).parse::<i64>() {
            Ok(n) => n.max(0) as usize,
            Err(_) => return Frame::error(errors::NOT_AN_INTEGER),
        },
    };
    shared.acl_log.frames(count)
}

/// `ACL DRYRUN user command [args...]`: would the command be allowed?
fn dryrun(shared: &Shared, args: &[Bytes]) -> Frame {
    let acl = shared.view.load().acl.clone();
    let name = text(&args[2]);
    let Some(user) = acl.user(&name) else {
        return Frame::error(errors::no_such_user(&name));
    };
    let command = &args[3..];
    let target = match super::resolve(&shared.facts.renames, command) {
        Ok(target) => target,
        Err(super::Refusal::Arity(full)) => {
            return errors::wrong_arity(&full);
        }
        Err(_) => return Frame::error(errors::no_such_command(&text(&command[0]))),
    };
    match super::permission(user, &target, command) {
        Ok(()) => Frame::ok(),
        Err(crate::acl::Denied::Command) => Frame::bulk(format!(
            "This user has no permissions to run the '{}' command",
            target.full_name
        )),
        Err(crate::acl::Denied::Channel(i)) => Frame::bulk(format!(
            "This user has no permissions to access the '{}' channel",
            text(&command[i])
        )),
    }
}

fn help() -> Frame {
    let lines = [
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Print this help.",
    ];
    Frame::Array(lines.iter().map(|l| Frame::Simple((*l).into())).collect())
}
