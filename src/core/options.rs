//! `SENTINEL SET`, `SENTINEL CONFIG GET|SET` and `SENTINEL DEBUG`: options
//! changed at run time, with redis-sentinel's validation and error texts
//! (spec §3.2, §3.3, §6.2).

use bytes::Bytes;

use super::admin::{NO_SUCH_MASTER, arg, has_control};
use super::event::Event;
use super::input::RequestId;
use super::instance::master_ref;
use super::output::Output;
use super::pattern::glob_match;
use super::sentinel::Sentinel;
use super::timer::{Millis, Periods};
use crate::config::LogLevel;
use crate::resp::Frame;

/// `SENTINEL CONFIG` parameters, in the order GET lists them
/// (`loglevel` is Redis 7.2's).
const CONFIG_PARAMS: [&str; 7] = [
    "resolve-hostnames",
    "announce-hostnames",
    "announce-ip",
    "announce-port",
    "sentinel-user",
    "sentinel-pass",
    "loglevel",
];

/// A checked `SENTINEL CONFIG SET` value.
enum ConfigValue {
    /// `resolve-hostnames`, `announce-hostnames`.
    YesNo(bool),
    /// `announce-port`.
    Port(u16),
    /// `loglevel`.
    LogLevel(LogLevel),
    /// `announce-ip`; empty unsets.
    Text(Option<String>),
    /// `sentinel-user`, `sentinel-pass`, as bytes; empty unsets.
    Secret(Option<Bytes>),
}

impl ConfigValue {
    /// `raw` checked for parameter `name` (one of [`CONFIG_PARAMS`]).
    fn parse(name: &str, raw: &Bytes) -> Option<ConfigValue> {
        let value = &String::from_utf8_lossy(raw);
        Some(match name {
            "resolve-hostnames" | "announce-hostnames" => ConfigValue::YesNo(yes_no(value)?),
            "announce-port" => ConfigValue::Port(value.parse().ok()?),
            "loglevel" => ConfigValue::LogLevel(LogLevel::parse(value)?),
            "announce-ip" => ConfigValue::Text((!value.is_empty()).then(|| value.to_string())),
            _ => ConfigValue::Secret((!raw.is_empty()).then(|| raw.clone())),
        })
    }
}

/// What applying one SET option did.
enum Applied {
    /// Applied; the `+set` value, and whether links must be dropped.
    Ok(String, bool),
    /// The value at this argument index is invalid.
    BadArg(usize),
    /// Refused with this error text.
    Refused(String),
}

/// The refusal of a value with control characters (Redis 8's hardening
/// against config injection; the value is not echoed).
fn control(option: &str) -> Applied {
    Applied::Refused(format!(
        "ERR SENTINEL SET '{option}' value must not contain control characters"
    ))
}

/// `yes`/`no`, any case.
fn yes_no(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// A positive integer (`> 0`), or `>= 0` when `zero_ok`.
fn millis(value: &str, zero_ok: bool) -> Option<u64> {
    let v: i64 = value.parse().ok()?;
    (v > 0 || (zero_ok && v == 0)).then_some(v as u64)
}

impl Sentinel {
    /// `SENTINEL SET <name> <option> <value> ...`: options apply left to
    /// right, each with a `+set`; one that fails stops the rest but keeps
    /// the ones before it, which are persisted.
    pub(crate) fn set(&mut self, now: Millis, request: RequestId, args: &[Bytes]) {
        let name = arg(args, 2);
        if self.masters.config(&name).is_none() {
            return self.reply(request, Frame::error(NO_SUCH_MASTER), false);
        }
        let (mut events, mut drop_links, mut error) = (Vec::new(), false, None);
        let mut j = 3;
        while j < args.len() {
            let option = arg(args, j);
            let more = args.len() - 1 - j;
            let (applied, used) =
                self.set_option(&name, &option.to_ascii_lowercase(), args, j, more);
            match applied {
                Applied::Ok(value, drops) => {
                    drop_links |= drops;
                    let master = master_ref(self.masters.config(&name).expect("checked above"));
                    events.push(Event::Set { master, option: option.clone(), value });
                }
                Applied::BadArg(i) => {
                    let text = format!(
                        "ERR Invalid argument '{}' for SENTINEL SET '{option}'",
                        arg(args, i)
                    );
                    error = Some(text);
                    break;
                }
                Applied::Refused(text) => {
                    error = Some(text);
                    break;
                }
            }
            j += used + 1;
        }
        let changed = !events.is_empty();
        if changed {
            self.persist();
        }
        for e in events {
            self.event(e);
        }
        if drop_links {
            self.drop_master_links(now, &name);
        }
        match error {
            Some(text) => self.reply(request, Frame::error(text), false),
            None => self.reply(request, Frame::ok(), changed),
        }
    }

    /// Applies option `option` whose values start at `args[j + 1]`
    /// (`more` arguments follow it); returns the outcome and how many
    /// values it took.
    fn set_option(
        &mut self,
        name: &str,
        option: &str,
        args: &[Bytes],
        j: usize,
        more: usize,
    ) -> (Applied, usize) {
        let deny = self.config.sentinel.deny_scripts_reconfig;
        let mc = self.masters.config_mut(name).expect("caller checked");
        let value = arg(args, j + 1);
        let unknown = || {
            let text = format!(
                "ERR Unknown option or number of arguments for SENTINEL SET '{}'",
                arg(args, j)
            );
            (Applied::Refused(text), 0)
        };
        if more == 0 {
            return unknown();
        }
        let ok = |drops| (Applied::Ok(value.clone(), drops), 1);
        match option {
            "down-after-milliseconds" | "failover-timeout" | "parallel-syncs" | "quorum" => {
                let Some(v) = millis(&value, false) else { return (Applied::BadArg(j + 1), 1) };
                match option {
                    "down-after-milliseconds" => mc.down_after_ms = v,
                    "failover-timeout" => mc.failover_timeout_ms = v,
                    "parallel-syncs" => mc.parallel_syncs = v.min(u32::MAX as u64) as u32,
                    _ => mc.quorum = v.min(u32::MAX as u64) as u32,
                }
                ok(false)
            }
            "master-reboot-down-after-period" | "primary-reboot-down-after-period" => {
                let Some(v) = millis(&value, true) else { return (Applied::BadArg(j + 1), 1) };
                mc.master_reboot_down_after_period_ms = v;
                ok(false)
            }
            "notification-script" | "client-reconfig-script" => {
                if has_control(&args[j + 1]) {
                    return (control(option), 1);
                }
                if deny {
                    let text = "ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration";
                    return (Applied::Refused(text.into()), 1);
                }
                // Whether the file exists and is executable is the shell's
                // business: the core never touches the file system.
                let v = (!value.is_empty()).then(|| value.clone());
                if option == "notification-script" {
                    mc.notification_script = v;
                } else {
                    mc.client_reconfig_script = v;
                }
                ok(false)
            }
            // Bytes as given: a password need not be UTF-8.
            "auth-pass" => {
                mc.auth_pass = (!args[j + 1].is_empty()).then(|| args[j + 1].clone());
                (Applied::Ok("******".into(), true), 1)
            }
            "auth-user" => {
                mc.auth_user = (!args[j + 1].is_empty()).then(|| args[j + 1].clone());
                ok(true)
            }
            "rename-command" if more > 1 => {
                if has_control(&args[j + 1]) || has_control(&args[j + 2]) {
                    return (control(option), 2);
                }
                let new = arg(args, j + 2);
                if value.is_empty() || new.is_empty() {
                    let bad = if new.is_empty() { j + 2 } else { j + 1 };
                    return (Applied::BadArg(bad), 2);
                }
                let from = value.to_ascii_lowercase();
                mc.rename_commands.retain(|(f, _)| *f != from);
                if !value.eq_ignore_ascii_case(&new) {
                    mc.rename_commands.push((from, new.clone()));
                }
                (Applied::Ok(format!("{value} {new}"), false), 2)
            }
            _ => unknown(),
        }
    }

    /// Closes the links of a master and its replicas; they reconnect at
    /// once with the new credentials.
    fn drop_master_links(&mut self, now: Millis, name: &str) {
        let Some(m) = self.masters.get_mut(name) else { return };
        let out = &mut self.out;
        for mon in std::iter::once(&mut m.mon).chain(m.replicas.values_mut().map(|r| &mut r.mon)) {
            for link in [&mut mon.cmd, &mut mon.pubsub] {
                if link.id().is_some() {
                    link.close(out);
                    link.last_reconnect = None;
                }
            }
        }
        let _ = now;
    }

    /// `SENTINEL CONFIG GET <pattern> [<pattern> ...]` /
    /// `SET <param> <value> [<param> <value> ...]` (Redis 7.2's forms; the
    /// one-pair forms are redis-sentinel 7.0's).
    pub(crate) fn config_command(&mut self, now: Millis, request: RequestId, args: &[Bytes]) {
        let action = arg(args, 2).to_ascii_lowercase();
        match action.as_str() {
            "get" if args.len() >= 4 => {
                let frame = Frame::map(self.config_get(&args[3..]));
                self.reply(request, frame, false);
            }
            "set" if args.len() >= 5 => self.config_set(now, request, &args[3..]),
            _ => {
                let text = "ERR Only SENTINEL CONFIG GET <param> [<param> <param> ...]/ SET <param> <value> [<param> <value> ...] are supported.";
                self.reply(request, Frame::error(text), false);
            }
        }
    }

    /// The parameters matching any of `patterns`, each once, in the order
    /// the patterns first match them.
    fn config_get(&self, patterns: &[Bytes]) -> Vec<(&'static str, Frame)> {
        let mut pairs: Vec<(&'static str, Frame)> = Vec::new();
        for pattern in patterns {
            let pattern = String::from_utf8_lossy(pattern);
            for p in CONFIG_PARAMS {
                if glob_match(&pattern, p, true) && !pairs.iter().any(|(q, _)| *q == p) {
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
            _ => self.config.server.loglevel.as_str().into(),
        }
    }

    /// `SET` with its `<param> <value>` pairs: every pair is checked
    /// before any is applied, so an error applies none.
    fn config_set(&mut self, now: Millis, request: RequestId, pairs: &[Bytes]) {
        let mut checked: Vec<(&'static str, ConfigValue)> = Vec::new();
        for (i, param) in pairs.iter().enumerate().step_by(2) {
            let param = String::from_utf8_lossy(param);
            let Some(name) = CONFIG_PARAMS.iter().find(|p| p.eq_ignore_ascii_case(&param)) else {
                let text = format!("ERR Invalid argument '{param}' to SENTINEL CONFIG SET");
                return self.reply(request, Frame::error(text), false);
            };
            if checked.iter().any(|(n, _)| n == name) {
                let text = format!("ERR Duplicate argument '{param}' to SENTINEL CONFIG SET");
                return self.reply(request, Frame::error(text), false);
            }
            let Some(value) = pairs.get(i + 1) else {
                let text = format!("ERR Missing argument '{param}' value");
                return self.reply(request, Frame::error(text), false);
            };
            if *name == "announce-ip" && has_control(value) {
                let text = format!(
                    "ERR SENTINEL CONFIG SET '{name}' value must not contain control characters"
                );
                return self.reply(request, Frame::error(text), false);
            }
            let Some(parsed) = ConfigValue::parse(name, value) else {
                let value = String::from_utf8_lossy(value);
                let text = format!("ERR Invalid value '{value}' to SENTINEL CONFIG SET '{param}'");
                return self.reply(request, Frame::error(text), false);
            };
            checked.push((name, parsed));
        }
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
    /// periods; otherwise set them, left to right (never persisted).
    pub(crate) fn debug(&mut self, request: RequestId, args: &[Bytes]) {
        if args.len() == 2 {
            let pairs: Vec<_> =
                // Bulk strings, as redis-sentinel's `addReplyBulkLongLong`.
                self.periods.all().map(|(n, v)| (n, Frame::bulk(v.to_string()))).collect();
            return self.reply(request, Frame::map(pairs), false);
        }
        let mut j = 2;
        while j < args.len() {
            let option = arg(args, j);
            let known = Periods::NAMES.iter().any(|n| n.eq_ignore_ascii_case(&option));
            if !known || j + 1 >= args.len() {
                let text = format!(
                    "ERR Unknown option or number of arguments for SENTINEL DEBUG '{option}'"
                );
                return self.reply(request, Frame::error(text), false);
            }
            let value = arg(args, j + 1);
            let Some(v) = millis(&value, false) else {
                let text = format!("ERR Invalid argument '{value}' for SENTINEL DEBUG '{option}'");
                return self.reply(request, Frame::error(text), false);
            };
            self.periods.set(&option, v);
            j += 2;
        }
        self.reply(request, Frame::ok(), false);
    }
}

fn yes_no_text(v: bool) -> &'static str {
    if v { "yes" } else { "no" }
}
