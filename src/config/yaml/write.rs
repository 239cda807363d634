//! [`Config`] → YAML text. The file is regenerated from the model: what the
//! operator configures first, then the `state:` the sentinel keeps.

use std::time::Duration;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::config::model::{Config, LogLevel, MasterConfig, ServerConfig};
use crate::quoting::join_line;

/// The comment at the top of every YAML file rsentinel writes.
pub const YAML_HEADER: &str = "\
# rsentinel configuration. rsentinel rewrites this file when its state
# changes (new epoch, vote, failover, discovered replicas and sentinels):
# the file is regenerated from the settings, and comments are not kept.
";

/// `config` as a YAML document, with [`YAML_HEADER`] first.
pub(super) fn to_yaml(config: &Config) -> String {
    let doc = Document::from(config);
    let body = serde_saphyr::to_string(&doc).expect("a YAML document of strings and numbers");
    format!("{YAML_HEADER}{body}")
}

/// A duration as `humantime` writes it (`30s`, `3m`, `1s 500ms`).
fn duration(ms: u64) -> String {
    humantime::format_duration(Duration::from_millis(ms)).to_string()
}

/// The whole file.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Document<'a> {
    port: u16,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    bind: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    dir: Option<&'a str>,
    logfile: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    loglevel: Option<&'static str>,
    #[serde(skip_serializing_if = "is_false")]
    daemonize: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    supervised: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_format: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_timestamp_format: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pidfile: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metrics_listen: Option<&'a str>,
    #[serde(skip_serializing_if = "is_false")]
    protected_mode: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    requirepass: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maxclients: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeout: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    users: Vec<String>,
    #[serde(skip_serializing_if = "Ordered::is_empty")]
    rename_command: Ordered<&'a str>,
    #[serde(skip_serializing_if = "Ordered::is_empty")]
    tls: Ordered<String>,
    sentinel: Globals<'a>,
    masters: Ordered<Master<'a>>,
    state: State<'a>,
}

/// `sentinel:`.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Globals<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    announce_ip: Option<&'a str>,
    #[serde(skip_serializing_if = "is_zero")]
    announce_port: u16,
    announce_hostnames: bool,
    resolve_hostnames: bool,
    deny_scripts_reconfig: bool,
    /// Written only when on: ours, not redis-sentinel's.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    hello_guard: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    sentinel_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sentinel_pass: Option<String>,
}

/// `masters.<name>:`.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Master<'a> {
    host: &'a str,
    port: u16,
    quorum: u32,
    down_after: String,
    failover_timeout: String,
    parallel_syncs: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    notification_script: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_reconfig_script: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_pass: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    master_reboot_down_after_period: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fence: Option<String>,
    #[serde(skip_serializing_if = "Ordered::is_empty")]
    rename_command: Ordered<&'a str>,
}

/// `state:`.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct State<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    myid: Option<&'a str>,
    current_epoch: u64,
    masters: Ordered<MasterState<'a>>,
}

/// `state.masters.<name>:`.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct MasterState<'a> {
    config_epoch: u64,
    leader_epoch: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    known_replicas: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    known_sentinels: Vec<KnownSentinel<'a>>,
}

/// One entry of `known-sentinels`.
#[derive(Serialize)]
struct KnownSentinel<'a> {
    addr: String,
    runid: &'a str,
}

/// A mapping written in the order of its entries.
struct Ordered<V>(Vec<(String, V)>);

impl<V> Ordered<V> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u16) -> bool {
    *n == 0
}

impl<'a> From<&'a Config> for Document<'a> {
    fn from(config: &'a Config) -> Self {
        let s = &config.server;
        let defaults = ServerConfig::default();
        let g = &config.sentinel;
        Document {
            port: s.port,
            bind: &s.bind,
            dir: s.dir.as_deref(),
            logfile: &s.logfile,
            loglevel: (s.loglevel != LogLevel::default()).then(|| s.loglevel.as_str()),
            daemonize: s.daemonize,
            supervised: (s.supervised != defaults.supervised).then(|| s.supervised.as_str()),
            log_format: (s.log_format != defaults.log_format).then(|| s.log_format.as_str()),
            log_timestamp_format: (s.log_timestamp_format != defaults.log_timestamp_format)
                .then(|| s.log_timestamp_format.as_str()),
            pidfile: s.pidfile.as_deref(),
            metrics_listen: s.metrics_listen.as_deref(),
            protected_mode: s.protected_mode,
            requirepass: s.requirepass.as_deref(),
            maxclients: (s.maxclients != defaults.maxclients).then_some(s.maxclients),
            timeout: (s.timeout_secs != 0).then(|| duration(s.timeout_secs * 1000)),
            users: s.users.iter().map(|rules| join_line(rules)).collect(),
            rename_command: Ordered(
                s.rename_commands.iter().map(|(k, v)| (k.clone(), v.as_str())).collect(),
            ),
            tls: Ordered(s.tls.iter().map(|(k, v)| (k.clone(), tls_value(v))).collect()),
            sentinel: Globals {
                announce_ip: g.announce_ip.as_deref(),
                announce_port: g.announce_port,
                announce_hostnames: g.announce_hostnames,
                resolve_hostnames: g.resolve_hostnames,
                deny_scripts_reconfig: g.deny_scripts_reconfig,
                hello_guard: g.hello_guard,
                sentinel_user: g.sentinel_user.as_deref().map(lossy),
                sentinel_pass: g.sentinel_pass.as_deref().map(lossy),
            },
            masters: Ordered(config.masters.iter().map(|m| (m.name.clone(), master(m))).collect()),
            state: State {
                myid: g.myid.as_ref().map(|id| id.as_str()),
                current_epoch: g.current_epoch.as_u64(),
                masters: Ordered(
                    config.masters.iter().map(|m| (m.name.clone(), master_state(m))).collect(),
                ),
            },
        }
    }
}

/// A `tls-*` value: its one argument as it is (the YAML reader takes the
/// value as one argument), or several joined as a config line.
fn tls_value(args: &[String]) -> String {
    match args {
        [one] => one.clone(),
        many => join_line(many),
    }
}

fn master(m: &MasterConfig) -> Master<'_> {
    Master {
        host: &m.addr.host,
        port: m.addr.port,
        quorum: m.quorum,
        down_after: duration(m.down_after_ms),
        failover_timeout: duration(m.failover_timeout_ms),
        parallel_syncs: m.parallel_syncs,
        notification_script: m.notification_script.as_deref(),
        client_reconfig_script: m.client_reconfig_script.as_deref(),
        auth_pass: m.auth_pass.as_deref().map(lossy),
        auth_user: m.auth_user.as_deref().map(lossy),
        master_reboot_down_after_period: (m.master_reboot_down_after_period_ms != 0)
            .then(|| duration(m.master_reboot_down_after_period_ms)),
        fence: (m.fence_ms != 0).then(|| duration(m.fence_ms)),
        rename_command: Ordered(
            m.rename_commands.iter().map(|(k, v)| (k.clone(), v.as_str())).collect(),
        ),
    }
}

fn master_state(m: &MasterConfig) -> MasterState<'_> {
    MasterState {
        config_epoch: m.config_epoch.as_u64(),
        leader_epoch: m.leader_epoch.as_u64(),
        known_replicas: m.known_replicas.iter().map(|r| r.name()).collect(),
        known_sentinels: m
            .known_sentinels
            .iter()
            .map(|s| KnownSentinel { addr: s.addr.name(), runid: s.runid.as_str() })
            .collect(),
    }
}

/// A password or user name as YAML text: YAML holds no raw bytes, so one
/// that is not UTF-8 is written lossily (sentinel.conf keeps it exactly).
fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
