//! The read model: a snapshot of the core's state, published by the shell
//! after every change so that queries never wait for the core.
//!
//! Times are absolute [`Millis`] on the core's clock; the server turns them
//! into "milliseconds ago" with the same clock when it answers.

use std::sync::Arc;

use super::ids::{Addr, Epoch, RunId};
use super::timer::Millis;

/// The whole snapshot.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// This sentinel's id.
    pub myid: RunId,
    /// The current epoch.
    pub current_epoch: Epoch,
    /// Since when the sentinel is in TILT, if it is.
    pub tilt_since: Option<Millis>,
    /// How many times it entered TILT since it started
    /// (`sentinel_total_tilt`, Redis 8 / Valkey 9).
    pub total_tilt: u64,
    /// Bits of `SENTINEL SIMULATE-FAILURE` (1 = crash-after-election,
    /// 2 = crash-after-promotion).
    pub simulate_failure_flags: u32,
    /// `deny-scripts-reconfig`.
    pub deny_scripts_reconfig: bool,
    /// `resolve-hostnames`: whether `SENTINEL MONITOR` may name a host.
    pub resolve_hostnames: bool,
    /// Scripts running now.
    pub running_scripts: usize,
    /// Scripts waiting to run.
    pub scripts_queue_length: usize,
    /// The ACL users, for AUTH and the permission checks.
    pub acl: Arc<crate::acl::Acl>,
    /// Monitored masters, sorted by name; each shared with the previous
    /// view when it did not change.
    pub masters: MasterViews,
}

impl View {
    /// The master with this name.
    pub fn master(&self, name: &str) -> Option<&MasterView> {
        self.masters.get(name)
    }
}

/// The masters' views by name: a persistent map (`rpds`), so that a new
/// view shares every unchanged master's entry with the previous one and is
/// made in time proportional to the masters that changed (a `Vec` of them
/// was copied whole at every rebuild: a tenth of the idle CPU with a
/// thousand masters), and a lookup by name is a tree search, not a walk.
#[derive(Debug, Clone)]
pub struct MasterViews(rpds::RedBlackTreeMapSync<String, Arc<MasterView>>);

impl Default for MasterViews {
    fn default() -> Self {
        MasterViews(rpds::RedBlackTreeMapSync::new_sync())
    }
}

impl MasterViews {
    /// The view of master `name`.
    pub fn get(&self, name: &str) -> Option<&MasterView> {
        self.0.get(name).map(|m| &**m)
    }

    /// The views, in name order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<MasterView>> {
        self.0.values()
    }

    /// How many masters.
    pub fn len(&self) -> usize {
        self.0.size()
    }

    /// Whether there is no master.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sets master `name`'s view.
    pub fn insert(&mut self, name: String, view: Arc<MasterView>) {
        self.0.insert_mut(name, view);
    }

    /// Removes master `name`'s view.
    pub fn remove(&mut self, name: &str) {
        self.0.remove_mut(name);
    }
}

impl<'a> IntoIterator for &'a MasterViews {
    type Item = &'a Arc<MasterView>;
    type IntoIter = Box<dyn Iterator<Item = &'a Arc<MasterView>> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl FromIterator<Arc<MasterView>> for MasterViews {
    fn from_iter<I: IntoIterator<Item = Arc<MasterView>>>(iter: I) -> Self {
        let mut views = MasterViews::default();
        for v in iter {
            views.insert(v.instance.name.clone(), v);
        }
        views
    }
}

/// What every kind of instance shows (the common fields of the
/// `SENTINEL MASTER`/`REPLICAS`/`SENTINELS` maps).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InstanceView {
    /// Master name, replica `ip:port`, or peer run id.
    pub name: String,
    /// Address in announce form: as given with `announce-hostnames yes`,
    /// else a hostname is shown as the IP it last led to.
    pub addr: Addr,
    /// Run id from INFO (or the peer's myid); `None` until known.
    pub runid: Option<RunId>,
    /// The flags, in redis-sentinel's order (`s_down`, `o_down`, `master`...).
    pub flags: Vec<&'static str>,
    /// Commands sent on the command link and not answered yet.
    pub link_pending_commands: usize,
    /// How many masters share this link (peer sentinels).
    pub link_refcount: usize,
    /// Send time of the oldest unanswered PING.
    pub ping_pending_since: Option<Millis>,
    /// Last valid PING reply.
    pub last_ok_ping_reply: Millis,
    /// Last reply of any kind.
    pub last_ping_reply: Millis,
    /// Round trip of the last PING answered alone (none other pending).
    pub ping_rtt: Option<Millis>,
    /// Since when the instance is SDOWN.
    pub sdown_since: Option<Millis>,
    /// `down-after-milliseconds`.
    pub down_after_ms: u64,
    /// When the last INFO reply arrived (masters and replicas).
    pub info_refresh: Option<Millis>,
    /// The role the instance reports (`master`/`slave`).
    pub role_reported: &'static str,
    /// When that role was last seen to change.
    pub role_reported_time: Millis,
    /// The last INFO reply, for `SENTINEL INFO-CACHE`.
    pub info: Option<Arc<str>>,
}

/// A monitored master.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MasterView {
    /// The common fields (name = master name).
    pub instance: InstanceView,
    /// Since when ODOWN, if it is.
    pub odown_since: Option<Millis>,
    /// The failover state name while a failover runs.
    pub failover_state: Option<&'static str>,
    /// The address clients should use: the promoted replica's once the
    /// failover has reached the reconfiguration of replicas.
    pub client_addr: Addr,
    /// `config-epoch`.
    pub config_epoch: Epoch,
    /// `quorum`.
    pub quorum: u32,
    /// `failover-timeout`.
    pub failover_timeout_ms: u64,
    /// `parallel-syncs`.
    pub parallel_syncs: u32,
    /// `notification-script`.
    pub notification_script: Option<String>,
    /// `client-reconfig-script`.
    pub client_reconfig_script: Option<String>,
    /// Known replicas, sorted by address.
    pub replicas: Vec<ReplicaView>,
    /// Known peer sentinels, sorted by run id.
    pub sentinels: Vec<SentinelView>,
}

/// A replica of a monitored master.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplicaView {
    /// The common fields (name = `ip:port`).
    pub instance: InstanceView,
    /// `master_link_down_since_seconds` × 1000.
    pub master_link_down_ms: u64,
    /// `master_link_status:up`.
    pub master_link_up: bool,
    /// The master the replica reports, if any.
    pub master_addr: Option<Addr>,
    /// `slave_priority`.
    pub priority: u32,
    /// `slave_repl_offset`.
    pub repl_offset: u64,
    /// `replica_announced`.
    pub announced: bool,
}

/// A peer sentinel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SentinelView {
    /// The common fields (name = run id).
    pub instance: InstanceView,
    /// When its last hello arrived.
    pub last_hello: Option<Millis>,
    /// The leader it voted for, and in which epoch.
    pub voted_leader: Option<(RunId, Epoch)>,
}
