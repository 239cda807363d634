//! Client commands that need the core: the `SENTINEL` subcommands that
//! change state or vote, and `PUBLISH` of a hello (spec §3).
//!
//! The server checks arity; everything else (argument validation, error
//! texts, order of checks) is redis-sentinel's. Replies that are only true
//! once the preceding `Output::Persist` succeeded carry `needs_persist`.
//! Read-only subcommands (MASTERS, MASTER, REPLICAS, SENTINELS,
//! GET-MASTER-ADDR-BY-NAME, MYID, INFO-CACHE) are answered by the server
//! from the [`View`](super::View).

use bytes::Bytes;

use super::event::Event;
use super::ids::Addr;
use super::input::RequestId;
use super::instance::{Master, master_ref};
use super::output::Output;
use super::pattern::glob_match;
use super::quorum::ckquorum;
use super::sentinel::Sentinel;
use super::timer::Millis;
use crate::config::MasterConfig;
use crate::resp::Frame;

/// The error for an unknown master name.
pub(crate) const NO_SUCH_MASTER: &str = "ERR No such master with that name";

/// `SIMULATE-FAILURE` flag: exit right after `+elected-leader`.
pub const SIMFAILURE_CRASH_AFTER_ELECTION: u32 = 1;
/// `SIMULATE-FAILURE` flag: exit right after `+promoted-slave`.
pub const SIMFAILURE_CRASH_AFTER_PROMOTION: u32 = 2;

/// An argument as text (lossy: arguments that matter are ASCII).
pub(crate) fn arg(args: &[Bytes], i: usize) -> String {
    args.get(i).map(|a| String::from_utf8_lossy(a).into_owned()).unwrap_or_default()
}

/// Whether `b` holds an ASCII control character (0x00-0x1f, 0x7f): Redis 8
/// refuses them in names and paths that end up in the config file.
pub fn has_control(b: &[u8]) -> bool {
    b.iter().any(|&c| c < 0x20 || c == 0x7f)
}

impl Sentinel {
    /// Queues the answer to a client request.
    pub(crate) fn reply(&mut self, request: RequestId, frame: Frame, needs_persist: bool) {
        self.out.push(Output::Reply { request, frame, needs_persist });
    }

    /// Routes a client command.
    pub(crate) fn on_admin(&mut self, now: Millis, request: RequestId, args: &[Bytes]) {
        let command = arg(args, 0).to_ascii_lowercase();
        if command == "publish" {
            return self.publish(now, request, args);
        }
        if command == "acl" {
            return self.acl_admin(request, args);
        }
        if command != "sentinel" || args.len() < 2 {
            let text = format!("ERR unknown command '{}'", arg(args, 0));
            return self.reply(request, Frame::error(text), false);
        }
        let sub = arg(args, 1);
        match sub.to_ascii_lowercase().as_str() {
            "is-master-down-by-addr" if args.len() == 6 => {
                self.is_master_down_by_addr(now, request, args)
            }
            "ckquorum" if args.len() == 3 => self.ckquorum(request, &arg(args, 2)),
            "reset" if args.len() == 3 => self.reset(now, request, &arg(args, 2)),
            "monitor" if args.len() == 6 => self.monitor(now, request, args),
            "remove" if args.len() == 3 => self.remove(now, request, &arg(args, 2)),
            "set" if args.len() >= 5 => self.set(now, request, args),
            "config" if args.len() >= 3 => self.config_command(now, request, args),
            "debug" => self.debug(request, args),
            "simulate-failure" if args.len() >= 3 => self.simulate_failure(request, args),
            "pending-scripts" if args.len() == 2 => {
                let frame = self.pending_scripts(now);
                self.reply(request, frame, false)
            }
            "flushconfig" if args.len() == 2 => {
                self.persist();
                self.reply(request, Frame::ok(), true);
            }
            "failover" if args.len() >= 3 => self.failover_admin(now, request, args),
            "is-master-down-by-addr"
            | "ckquorum"
            | "reset"
            | "monitor"
            | "remove"
            | "set"
            | "config"
            | "simulate-failure"
            | "pending-scripts"
            | "flushconfig"
            | "failover" => {
                let text = format!(
                    "ERR wrong number of arguments for 'sentinel|{}' command",
                    sub.to_ascii_lowercase()
                );
                self.reply(request, Frame::error(text), false)
            }
            _ => {
                let text = format!("ERR unknown subcommand '{sub}'. Try SENTINEL HELP.");
                self.reply(request, Frame::error(text), false)
            }
        }
    }

    /// `SENTINEL CKQUORUM <name>`: usable = us + peers not SDOWN.
    fn ckquorum(&mut self, request: RequestId, name: &str) {
        let Some((mc, m)) = self.masters.record(name) else {
            return self.reply(request, Frame::error(NO_SUCH_MASTER), false);
        };
        let usable = 1 + m.sentinels.values().filter(|p| p.sdown_since.is_none()).count();
        let frame = match ckquorum(usable, m.sentinels.len() + 1, mc.quorum) {
            Ok(text) => Frame::Simple(text),
            Err(text) => Frame::Error(text),
        };
        self.reply(request, frame, false);
    }

    /// `SENTINEL RESET <pattern>`: forget replicas and peers of every master
    /// whose name matches (case-sensitive glob). Not persisted by itself, as
    /// redis-sentinel: the next persist writes the shorter lists.
    fn reset(&mut self, now: Millis, request: RequestId, pattern: &str) {
        let names: Vec<String> =
            self.masters.keys().filter(|n| glob_match(pattern, n, false)).cloned().collect();
        for name in &names {
            let mref = master_ref(self.masters.config(name).expect("masters match the config"));
            self.reset_master(now, name, false);
            self.event(Event::ResetMaster(mref));
        }
        self.reply(request, Frame::Integer(names.len() as i64), false);
    }

    /// `SENTINEL MONITOR <name> <ip> <port> <quorum>`, checks in
    /// redis-sentinel's order.
    fn monitor(&mut self, now: Millis, request: RequestId, args: &[Bytes]) {
        let (name, host) = (arg(args, 2), arg(args, 3));
        let error = |text: &str| Frame::error(format!("ERR {text}"));
        if has_control(&args[2]) {
            let text = "Master name must not contain control characters";
            return self.reply(request, error(text), false);
        }
        let Ok(quorum) = arg(args, 5).parse::<i64>() else {
            return self.reply(request, error("Invalid quorum"), false);
        };
        let Ok(port) = arg(args, 4).parse::<i64>() else {
            return self.reply(request, error("Invalid port"), false);
        };
        if quorum <= 0 {
            return self.reply(request, error("Quorum must be 1 or greater."), false);
        }
        let is_ip = host.parse::<core::net::IpAddr>().is_ok();
        if host.is_empty() || (!is_ip && !self.config.sentinel.resolve_hostnames) {
            return self.reply(request, error("Invalid IP address or hostname specified"), false);
        }
        let Ok(port) = u16::try_from(port) else {
            return self.reply(request, error("Invalid port number."), false);
        };
        if self.masters.config(&name).is_some() {
            return self.reply(request, error("Duplicate master name."), false);
        }
        let quorum = u32::try_from(quorum).unwrap_or(u32::MAX);
        let mut mc = MasterConfig::new(name.clone(), Addr::new(host, port), quorum);
        mc.down_after_ms = self.periods.default_down_after().0;
        mc.failover_timeout_ms = self.periods.default_failover_timeout().0;
        let master = Master::new(&mc, now);
        let event = Event::Monitor { master: master_ref(&mc), quorum };
        self.masters.insert(mc, master);
        self.persist();
        self.event(event);
        self.reply(request, Frame::ok(), true);
    }

    /// `SENTINEL REMOVE <name>`.
    fn remove(&mut self, now: Millis, request: RequestId, name: &str) {
        let Some(mc) = self.masters.config(name) else {
            return self.reply(request, Frame::error(NO_SUCH_MASTER), false);
        };
        let event = Event::Unmonitor(master_ref(mc));
        self.reset_master(now, name, false);
        self.masters.remove(name);
        self.sync_peer_links(now);
        self.persist();
        self.event(event);
        self.reply(request, Frame::ok(), true);
    }

    /// `SENTINEL SIMULATE-FAILURE <mode> [<mode> ...]`: flags are reset,
    /// then set left to right; `help` lists the modes.
    fn simulate_failure(&mut self, request: RequestId, args: &[Bytes]) {
        self.simulate_failure_flags = 0;
        for i in 2..args.len() {
            match arg(args, i).to_ascii_lowercase().as_str() {
                "crash-after-election" => {
                    self.simulate_failure_flags |= SIMFAILURE_CRASH_AFTER_ELECTION
                }
                "crash-after-promotion" => {
                    self.simulate_failure_flags |= SIMFAILURE_CRASH_AFTER_PROMOTION
                }
                "help" => {
                    let modes = ["crash-after-election", "crash-after-promotion"];
                    let frame = Frame::Array(modes.iter().map(|m| Frame::bulk(*m)).collect());
                    return self.reply(request, frame, false);
                }
                _ => {
                    let frame = Frame::error("ERR Unknown failure simulation specified");
                    return self.reply(request, frame, false);
                }
            }
        }
        self.reply(request, Frame::ok(), false);
    }
}
