//! `ACL SETUSER` and `ACL DELUSER`: the ACL users are part of the state the
//! sentinel persists (its `user` lines), so they change here, are written
//! to the config, and reach the server through the view. The reading
//! subcommands and every check are the server's ([`crate::acl`]).

use std::sync::Arc;

use bytes::Bytes;

use super::admin::arg;
use super::input::RequestId;
use super::sentinel::Sentinel;
use crate::acl::{Acl, hash_password};
use crate::resp::Frame;

/// One `ACL SETUSER` rule as text. A password that is not UTF-8 (`>` or
/// `<` followed by raw bytes) becomes its hash (`#` / `!`), so that no
/// byte is lost.
fn rule(raw: &Bytes) -> String {
    match std::str::from_utf8(raw) {
        Ok(text) => text.to_string(),
        Err(_) => match raw.first() {
            Some(b'>') => format!("#{}", hash_password(&raw[1..])),
            Some(b'<') => format!("!{}", hash_password(&raw[1..])),
            _ => String::from_utf8_lossy(raw).into_owned(),
        },
    }
}

/// The users of a config: its `user` lines after `requirepass`. A config
/// that cannot be loaded (the parser checks every line, so only a bug gets
/// here) locks the default user rather than leave the sentinel open.
pub(crate) fn load(config: &crate::config::Config) -> Acl {
    let s = &config.server;
    Acl::load(s.requirepass.as_deref(), &s.users).unwrap_or_else(|_| {
        let mut acl = Acl::new(None);
        acl.set_user("default", &["off".to_string(), "resetpass".to_string()])
            .expect("valid rules");
        acl
    })
}

impl Sentinel {
    /// `ACL SETUSER name rules...` and `ACL DELUSER names...` (the server
    /// checked the arity).
    pub(crate) fn acl_admin(&mut self, request: RequestId, args: &[Bytes]) {
        let mut acl = (*self.acl).clone();
        let result = match arg(args, 1).to_ascii_lowercase().as_str() {
            "setuser" => {
                let rules: Vec<String> = args[3..].iter().map(rule).collect();
                acl.set_user(&arg(args, 2), &rules).map(|()| Frame::ok())
            }
            "deluser" => {
                let names: Vec<String> = (2..args.len()).map(|i| arg(args, i)).collect();
                acl.del_users(&names).map(|n| Frame::Integer(n as i64))
            }
            other => Err(format!("ERR unknown subcommand '{other}'. Try ACL HELP.")),
        };
        match result {
            Ok(frame) if acl != *self.acl => {
                self.config.server.users = acl.config_lines();
                self.acl = Arc::new(acl);
                self.persist();
                self.reply(request, frame, true);
            }
            Ok(frame) => self.reply(request, frame, false),
            Err(text) => self.reply(request, Frame::error(text), false),
        }
    }
}
