//! Building the [`View`] from the core's state after every input.

use std::sync::Arc;

use super::failover::{Failover, Reconf};
use super::ids::{Addr, RunId};
use super::info::Role;
use super::instance::{Master, Monitor};
use super::link::Link;
use super::sentinel::Sentinel;
use super::view::{InstanceView, MasterView, MasterViews, ReplicaView, SentinelView, View};
use crate::config::MasterConfig;

/// The flags in redis-sentinel's order (spec §3.1 field 5).
#[derive(Default)]
struct Flags {
    s_down: bool,
    o_down: bool,
    master: bool,
    slave: bool,
    sentinel: bool,
    disconnected: bool,
    master_down: bool,
    failover_in_progress: bool,
    promoted: bool,
    reconf_sent: bool,
    reconf_inprog: bool,
    reconf_done: bool,
    force_failover: bool,
    script_kill_sent: bool,
    master_reboot: bool,
}

impl Flags {
    fn list(&self) -> Vec<&'static str> {
        [
            (self.s_down, "s_down"),
            (self.o_down, "o_down"),
            (self.master, "master"),
            (self.slave, "slave"),
            (self.sentinel, "sentinel"),
            (self.disconnected, "disconnected"),
            (self.master_down, "master_down"),
            (self.failover_in_progress, "failover_in_progress"),
            (self.promoted, "promoted"),
            (self.reconf_sent, "reconf_sent"),
            (self.reconf_inprog, "reconf_inprog"),
            (self.reconf_done, "reconf_done"),
            (self.force_failover, "force_failover"),
            (self.script_kill_sent, "script_kill_sent"),
            // Redis 7.2 shows it (7.0 kept the flag but did not).
            (self.master_reboot, "master_reboot"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// The fields every instance shows, from its command link.
fn instance(name: String, addr: &Addr, link: &Link, down_after: u64, flags: Flags) -> InstanceView {
    InstanceView {
        name,
        addr: addr.clone(),
        flags: flags.list(),
        link_pending_commands: link.pending.len(),
        link_refcount: 1,
        ping_pending_since: link.act_ping,
        last_ok_ping_reply: link.last_avail,
        last_ping_reply: link.last_pong,
        ping_rtt: link.last_rtt,
        down_after_ms: down_after,
        role_reported: "master",
        ..InstanceView::default()
    }
}

/// Fills the INFO facts of a master or replica.
fn with_monitor(mut view: InstanceView, mon: &Monitor) -> InstanceView {
    view.runid = mon.runid.clone();
    view.sdown_since = mon.sdown_since;
    view.info_refresh = mon.info_refresh;
    view.role_reported = mon.role_reported.as_str();
    view.role_reported_time = mon.role_reported_time;
    view.info = mon.info.clone();
    view
}

impl Sentinel {
    /// The read model: the views of the masters visited since the last
    /// build are built, the others' are shared with the last view.
    pub(crate) fn snapshot(&mut self) -> View {
        let built: Vec<(String, Arc<MasterView>)> = self
            .masters
            .unbuilt()
            .filter_map(|(name, m)| {
                let mc = self.masters.config(name)?;
                Some((name.clone(), Arc::new(self.master_view(mc, m))))
            })
            .collect();
        let masters = self.masters.built(built);
        self.view_with(masters)
    }

    /// The read model with every master's view built afresh (to check
    /// that the shared ones are current).
    #[cfg(debug_assertions)]
    pub(crate) fn full_snapshot(&self) -> View {
        let masters = self
            .masters
            .iter()
            .filter_map(|(name, m)| Some(Arc::new(self.master_view(self.masters.config(name)?, m))))
            .collect();
        self.view_with(masters)
    }

    fn view_with(&self, masters: MasterViews) -> View {
        View {
            myid: self.myid().clone(),
            current_epoch: self.config.sentinel.current_epoch,
            tilt_since: self.tilt_since,
            total_tilt: self.total_tilt,
            simulate_failure_flags: self.simulate_failure_flags,
            deny_scripts_reconfig: self.config.sentinel.deny_scripts_reconfig,
            resolve_hostnames: self.config.sentinel.resolve_hostnames,
            running_scripts: self.scripts.running(),
            scripts_queue_length: self.scripts.len(),
            acl: self.acl.clone(),
            masters,
        }
    }

    fn master_view(&self, mc: &MasterConfig, m: &Master) -> MasterView {
        let flags = Flags {
            s_down: m.mon.sdown_since.is_some(),
            o_down: m.odown_since.is_some(),
            master: true,
            disconnected: m.mon.is_disconnected(),
            failover_in_progress: m.failover.is_some(),
            force_failover: m.failover.as_ref().is_some_and(|f| f.forced),
            script_kill_sent: m.mon.script_kill_sent,
            master_reboot: m.reboot_since.is_some(),
            ..Flags::default()
        };
        // Addresses are shown in announce form (`names.rs`).
        let base = instance(
            mc.name.clone(),
            &self.announce(&mc.addr),
            &m.mon.cmd,
            mc.down_after_ms,
            flags,
        );
        let failover = m.failover.as_ref();
        let replicas = m
            .replicas
            .values()
            .map(|r| {
                let reconf = failover.and_then(|f| f.reconf(&r.addr));
                let flags = Flags {
                    s_down: r.mon.sdown_since.is_some(),
                    slave: true,
                    disconnected: r.mon.is_disconnected(),
                    promoted: failover.and_then(Failover::promoted) == Some(&r.addr),
                    reconf_sent: matches!(reconf, Some(Reconf::Sent(_))),
                    reconf_inprog: reconf == Some(Reconf::InProgress),
                    reconf_done: reconf == Some(Reconf::Done),
                    script_kill_sent: r.mon.script_kill_sent,
                    ..Flags::default()
                };
                let addr = self.announce(&r.addr);
                let base = instance(addr.name(), &addr, &r.mon.cmd, mc.down_after_ms, flags);
                ReplicaView {
                    instance: with_monitor(base, &r.mon),
                    master_link_down_ms: r.master_link_down_ms,
                    master_link_up: r.master_link_up,
                    master_addr: r
                        .master_host
                        .as_ref()
                        .map(|h| Addr::new(h.clone(), r.master_port.unwrap_or(0))),
                    priority: r.priority,
                    repl_offset: r.repl_offset,
                    announced: r.announced,
                }
            })
            .collect();
        let sentinels = m
            .sentinels
            .iter()
            .filter_map(|(runid, p)| {
                let pl = self.peers.get(runid)?;
                let flags = Flags {
                    s_down: p.sdown_since.is_some(),
                    sentinel: true,
                    disconnected: !pl.link.is_up(),
                    master_down: p.master_down,
                    ..Flags::default()
                };
                let mut view = instance(
                    runid.to_string(),
                    &self.announce(&p.addr),
                    &pl.link,
                    mc.down_after_ms,
                    flags,
                );
                view.runid = Some(runid.clone());
                view.sdown_since = p.sdown_since;
                view.link_refcount = pl.users();
                view.role_reported = Role::Master.as_str();
                Some(SentinelView {
                    instance: view,
                    last_hello: p.last_hello,
                    voted_leader: p.leader.clone().map(|(r, e): (RunId, _)| (r, e)),
                })
            })
            .collect();
        MasterView {
            instance: with_monitor(base, &m.mon),
            odown_since: m.odown_since,
            failover_state: failover.map(Failover::state_name),
            client_addr: self.announce(&m.client_addr(mc)),
            config_epoch: mc.config_epoch,
            quorum: mc.quorum,
            failover_timeout_ms: mc.failover_timeout_ms,
            parallel_syncs: mc.parallel_syncs,
            notification_script: mc.notification_script.clone(),
            client_reconfig_script: mc.client_reconfig_script.clone(),
            replicas,
            sentinels,
        }
    }
}
