//! `ACL SETUSER` and `ACL DELUSER`: the ACL users are part of the state the
//! sentinel persists (its `user` lines), so they change here, are written
//! to the config, and reach the server through the view. The reading
//! subcommands and every check are the server's ([`crate::acl`]).

use std::sync::Arc;

use super::input::RequestId;
use super::sentinel::Sentinel;
use crate::acl::Acl;
use crate::resp::Frame;

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
    /// `ACL SETUSER name rules...`.
    pub(crate) fn acl_setuser(&mut self, request: RequestId, name: &str, rules: &[String]) {
        let mut acl = (*self.acl).clone();
        let result = acl.set_user(name, rules).map(|()| Frame::ok());
        self.acl_changed(request, acl, result);
    }

    /// `ACL DELUSER names...`.
    pub(crate) fn acl_deluser(&mut self, request: RequestId, names: &[String]) {
        let mut acl = (*self.acl).clone();
        let result = acl.del_users(names).map(|n| Frame::Integer(n as i64));
        self.acl_changed(request, acl, result);
    }

    /// Keeps and persists `acl` if it differs, and answers.
    fn acl_changed(&mut self, request: RequestId, acl: Acl, result: Result<Frame, String>) {
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
