//! Client commands that need the core: the `SENTINEL` subcommands that
//! change state or vote, and `PUBLISH` of a hello (spec §3).
//!
//! The command arrives parsed ([`AdminCommand`], `command.rs`); the checks
//! here are the ones that need the sentinel's state, in redis-sentinel's
//! order, with its error texts ([`crate::errors`]). Replies that are only true
//! once the preceding `Output::Persist` succeeded carry `needs_persist`.
//! Read-only subcommands (MASTERS, MASTER, REPLICAS, SENTINELS,
//! GET-MASTER-ADDR-BY-NAME, MYID, INFO-CACHE) are answered by the server
//! from the [`View`](super::View).

use super::command::{AdminCommand, SimulateReply};
use super::event::Event;
use super::ids::Addr;
use super::input::RequestId;
use super::instance::{Master, master_ref};
use super::link::LinkOwner;
use super::output::Output;
use super::pattern::glob_match;
use super::quorum::ckquorum;
use super::sentinel::Sentinel;
use super::timer::Millis;
use crate::config::MasterConfig;
use crate::errors::{self, NO_SUCH_MASTER};
use crate::resp::Frame;

impl Sentinel {
    /// Queues the answer to a client request.
    pub(crate) fn reply(&mut self, request: RequestId, frame: Frame, needs_persist: bool) {
        self.out.push(Output::Reply { request, frame, needs_persist });
    }

    /// Routes a client command.
    pub(crate) fn on_admin(&mut self, now: Millis, request: RequestId, command: AdminCommand) {
        match command {
            AdminCommand::Hello { payload } => self.publish(now, request, &payload),
            AdminCommand::AclSetUser { name, rules } => self.acl_setuser(request, &name, &rules),
            AdminCommand::AclDelUser { names } => self.acl_deluser(request, &names),
            AdminCommand::IsMasterDownByAddr { ip, port, epoch, runid } => {
                self.is_master_down_by_addr(now, request, &ip, port, epoch, runid)
            }
            AdminCommand::CkQuorum { name } => self.ckquorum(request, &name),
            AdminCommand::Reset { pattern } => self.reset(now, request, &pattern),
            AdminCommand::Monitor { name, host, port, quorum } => {
                self.monitor(now, request, name, host, port, quorum)
            }
            AdminCommand::Remove { name } => self.remove(now, request, &name),
            AdminCommand::Set { name, options, error } => {
                self.set(now, request, &name, options, error)
            }
            AdminCommand::ConfigGet { patterns } => {
                let frame = Frame::map(self.config_get(&patterns));
                self.reply(request, frame, false);
            }
            AdminCommand::ConfigSet { params } => self.config_set(now, request, params),
            AdminCommand::Debug { set, error } => self.debug(request, &set, error),
            AdminCommand::SimulateFailure { flags, reply } => {
                self.simulate_failure(request, flags, reply)
            }
            AdminCommand::PendingScripts => {
                let frame = self.pending_scripts(now);
                self.reply(request, frame, false)
            }
            AdminCommand::FlushConfig => {
                self.persist();
                self.reply(request, Frame::ok(), true);
            }
            AdminCommand::Failover { name, coordinated: false } => {
                self.failover_command(now, request, &name)
            }
            AdminCommand::Failover { name, coordinated: true } => {
                self.failover_coordinated_command(now, request, &name)
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
            let Some(mref) = self.with_master(now, name, |c| {
                c.reset(false);
                master_ref(c.mc)
            }) else {
                continue;
            };
            self.sync_peer_links(now);
            self.event(Event::ResetMaster(mref));
        }
        self.reply(request, Frame::Integer(names.len() as i64), false);
    }

    /// `SENTINEL MONITOR <name> <ip> <port> <quorum>`: the checks that
    /// need state, after the parser's, in redis-sentinel's order.
    fn monitor(
        &mut self,
        now: Millis,
        request: RequestId,
        name: String,
        host: String,
        port: i64,
        quorum: u32,
    ) {
        let is_ip = host.parse::<core::net::IpAddr>().is_ok();
        if host.is_empty() || (!is_ip && !self.config.sentinel.resolve_hostnames) {
            return self.reply(request, Frame::error(errors::INVALID_ADDRESS), false);
        }
        let Ok(port) = u16::try_from(port) else {
            return self.reply(request, Frame::error(errors::INVALID_PORT_NUMBER), false);
        };
        if self.masters.config(&name).is_some() {
            return self.reply(request, Frame::error(errors::DUPLICATE_MASTER), false);
        }
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
        self.with_master(now, name, |c| c.reset(false));
        let id = self.masters.id(name);
        self.masters.remove(name);
        // Its links are closed: no connection routes to its id, which a
        // master added later may be given (`LinkOwner`).
        debug_assert!(!self.out.owners.values().any(|o| match o {
            LinkOwner::Master(m, _) | LinkOwner::Replica(m, _, _) => Some(*m) == id,
            LinkOwner::Peer(_) => false,
        }));
        self.sync_peer_links(now);
        self.persist();
        self.event(event);
        self.reply(request, Frame::ok(), true);
    }

    /// `SENTINEL SIMULATE-FAILURE <mode> [<mode> ...]`: flags are reset,
    /// then set left to right; `help` lists the modes.
    fn simulate_failure(&mut self, request: RequestId, flags: u32, reply: SimulateReply) {
        self.simulate_failure_flags = flags;
        let frame = match reply {
            SimulateReply::Ok => Frame::ok(),
            SimulateReply::Help => {
                let modes = ["crash-after-election", "crash-after-promotion"];
                Frame::Array(modes.iter().map(|m| Frame::bulk(*m)).collect())
            }
            SimulateReply::Unknown => Frame::error(errors::UNKNOWN_FAILURE_SIMULATION),
        };
        self.reply(request, frame, false);
    }
}
