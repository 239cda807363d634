//! `SENTINEL SET`, `SENTINEL CONFIG GET|SET` and `SENTINEL DEBUG`: options
//! changed at run time (spec §3.2, §3.3, §6.2). The values arrive checked
//! (`command.rs`); what is checked here needs the sentinel's state.

use bytes::Bytes;

use super::command::{CONFIG_PARAMS, ConfigValue, SetChange, SetOption};
use super::ctx::MasterCtx;
use super::event::Event;
use super::input::RequestId;
use super::instance::master_ref;
use super::output::Output;
use super::pattern::glob_match;
use super::sentinel::Sentinel;
use super::timer::Millis;
use crate::config::MasterConfig;
use crate::errors::{self, NO_SUCH_MASTER};
use crate::resp::Frame;

impl Sentinel {
    /// `SENTINEL SET <name> <option> <value> ...` ([`MasterCtx::set`]).
    pub(crate) fn set(
        &mut self,
        now: Millis,
        request: RequestId,
        name: &str,
        options: Vec<SetOption>,
        error: Option<String>,
    ) {
        match self.with_master(now, name, |c| c.set(options, error)) {
            Some((frame, persisted)) => self.reply(request, frame, persisted),
            None => self.reply(request, Frame::error(NO_SUCH_MASTER), false),
        }
    }

    /// The parameters matching any of `patterns`, each once, in the order
    /// the patterns first match them.
    pub(crate) fn config_get(&self, patterns: &[String]) -> Vec<(&'static str, Frame)> {
        let mut pairs: Vec<(&'static str, Frame)> = Vec::new();
        for pattern in patterns {
            for p in CONFIG_PARAMS {
                if glob_match(pattern, p, true) && !pairs.iter().any(|(q, _)| *q == p) {
                    pairs.push((p, Frame::Bulk(self.config_value(p))));
                }
            }
        }
        pairs
    }

    /// The value `SENTINEL CONFIG GET` shows for parameter `p`.
    fn config_value(&self, p: &str) -> Bytes {
        let s = &self.config.sentinel;
        match p {
            "resolve-hostnames" => yes_no_text(s.resolve_hostnames).into(),
            "announce-hostnames" => yes_no_text(s.announce_hostnames).into(),
            "announce-ip" => s.announce_ip.clone().unwrap_or_default().into(),
            "announce-port" => s.announce_port.to_string().into(),
            "sentinel-user" => s.sentinel_user.clone().unwrap_or_default(),
            "sentinel-pass" => s.sentinel_pass.clone().unwrap_or_default(),
            "hello-guard" => yes_no_text(s.hello_guard).into(),
            _ => self.config.server.loglevel.as_str().into(),
        }
    }

    /// `SENTINEL CONFIG SET` with its checked `<param> <value>` pairs (the
    /// parser refused the whole command if any was wrong).
    pub(crate) fn config_set(
        &mut self,
        now: Millis,
        request: RequestId,
        checked: Vec<(&'static str, ConfigValue)>,
    ) {
        let mut drop_peers = false;
        for (name, value) in checked {
            drop_peers |= self.config_apply(name, value);
        }
        self.persist();
        self.reply(request, Frame::ok(), true);
        if drop_peers {
            for pl in self.peers.values_mut() {
                pl.link.close(&mut self.out);
                pl.link.last_reconnect = None;
            }
        }
        let _ = now;
    }

    /// Applies one checked parameter; true when the links to peer
    /// sentinels must reconnect with new credentials.
    fn config_apply(&mut self, name: &str, value: ConfigValue) -> bool {
        let s = &mut self.config.sentinel;
        match value {
            ConfigValue::YesNo(v) if name == "resolve-hostnames" => s.resolve_hostnames = v,
            ConfigValue::YesNo(v) if name == "hello-guard" => s.hello_guard = v,
            ConfigValue::YesNo(v) => s.announce_hostnames = v,
            ConfigValue::Port(port) => s.announce_port = port,
            ConfigValue::LogLevel(level) => {
                self.config.server.loglevel = level;
                self.out.push(Output::LogLevel(level));
            }
            // An empty announce-ip means "unset", as in the config file
            // (redis-sentinel would announce an empty address).
            ConfigValue::Text(v) => s.announce_ip = v,
            ConfigValue::Secret(v) if name == "sentinel-user" => {
                s.sentinel_user = v;
                return true;
            }
            ConfigValue::Secret(v) => {
                s.sentinel_pass = v;
                return true;
            }
        }
        false
    }

    /// `SENTINEL DEBUG [<param> <value> ...]`: without arguments, the 13
    /// periods; otherwise set them, left to right (never persisted), up to
    /// the parser's refusal if there is one.
    pub(crate) fn debug(&mut self, request: RequestId, set: &[(&str, u64)], error: Option<String>) {
        if set.is_empty() && error.is_none() {
            let pairs: Vec<_> =
                // Bulk strings, as redis-sentinel's `addReplyBulkLongLong`.
                self.periods.all().map(|(n, v)| (n, Frame::bulk(v.to_string()))).collect();
            return self.reply(request, Frame::map(pairs), false);
        }
        for (name, v) in set {
            self.periods.set(name, *v);
        }
        match error {
            Some(text) => self.reply(request, Frame::error(text), false),
            None => self.reply(request, Frame::ok(), false),
        }
    }
}

fn yes_no_text(v: bool) -> &'static str {
    if v { "yes" } else { "no" }
}

impl MasterCtx<'_> {
    /// `SENTINEL SET` of this master: options apply left to right, each
    /// with a `+set`; one that fails stops the rest but keeps the ones
    /// before it, which are persisted. `error` is the parser's refusal of
    /// the option after `options`. The reply, and whether it waits for the
    /// `Persist`.
    fn set(&mut self, options: Vec<SetOption>, mut error: Option<String>) -> (Frame, bool) {
        let deny = self.config.sentinel.deny_scripts_reconfig;
        let (mut events, mut drop_links) = (Vec::new(), false);
        for option in options {
            if let Err(text) = set_option(self.mc, deny, &option.change) {
                error = Some(text);
                break;
            }
            drop_links |= option.change.drops_links();
            let master = master_ref(self.mc);
            events.push(Event::Set { master, option: option.given, value: option.shown });
        }
        let changed = !events.is_empty();
        if changed {
            self.persist();
        }
        for e in events {
            self.event(e);
        }
        if drop_links {
            self.drop_links();
        }
        match error {
            Some(text) => (Frame::error(text), false),
            None => (Frame::ok(), changed),
        }
    }

    /// Closes the links of the master and its replicas; they reconnect at
    /// once with the new credentials.
    fn drop_links(&mut self) {
        let (m, out) = (&mut *self.m, &mut *self.out);
        for mon in std::iter::once(&mut m.mon).chain(m.replicas.values_mut().map(|r| &mut r.mon)) {
            for link in [&mut mon.cmd, &mut mon.pubsub] {
                if link.id().is_some() {
                    link.close(out);
                    link.last_reconnect = None;
                }
            }
        }
    }
}

/// Applies one option to a master's configuration, or refuses it
/// (`deny`: `deny-scripts-reconfig` is set).
fn set_option(mc: &mut MasterConfig, deny: bool, change: &SetChange) -> Result<(), String> {
    match change.clone() {
        SetChange::DownAfter(v) => mc.down_after_ms = v,
        SetChange::FailoverTimeout(v) => mc.failover_timeout_ms = v,
        SetChange::ParallelSyncs(v) => mc.parallel_syncs = v,
        SetChange::Quorum(v) => mc.quorum = v,
        SetChange::RebootDownAfter(v) => mc.master_reboot_down_after_period_ms = v,
        SetChange::Fence(v) => mc.fence_ms = v,
        // Whether the file exists and is executable is the shell's
        // business: the core never touches the file system.
        SetChange::NotificationScript(_) | SetChange::ClientReconfigScript(_) if deny => {
            return Err(errors::SCRIPTS_RECONFIG_DENIED.into());
        }
        SetChange::NotificationScript(path) => mc.notification_script = path,
        SetChange::ClientReconfigScript(path) => mc.client_reconfig_script = path,
        SetChange::AuthPass(pass) => mc.auth_pass = pass,
        SetChange::AuthUser(user) => mc.auth_user = user,
        SetChange::RenameCommand { from, to } => {
            mc.rename_commands.retain(|(f, _)| *f != from);
            if !from.eq_ignore_ascii_case(&to) {
                mc.rename_commands.push((from, to));
            }
        }
    }
    Ok(())
}
