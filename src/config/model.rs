//! The configuration model: what a `sentinel.conf` (or, later, a YAML file)
//! says, independent of the text format it came from.
//!
//! The model holds both what the operator wrote (masters, timeouts, server
//! settings) and the state the sentinel persists itself (`myid`, epochs,
//! known replicas and sentinels). Rewriting turns it back into text.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::ids::{Addr, Epoch, RunId};

/// Default `down-after-milliseconds`.
pub const DEFAULT_DOWN_AFTER_MS: u64 = 30_000;
/// Default `failover-timeout`.
pub const DEFAULT_FAILOVER_TIMEOUT_MS: u64 = 180_000;
/// Default `parallel-syncs`.
pub const DEFAULT_PARALLEL_SYNCS: u32 = 1;
/// Default sentinel port (redis-sentinel's, not redis-server's 6379).
pub const DEFAULT_PORT: u16 = 26379;
/// Default `maxclients`.
pub const DEFAULT_MAXCLIENTS: usize = 10_000;
/// `acllog-max-len` by default (redis's).
pub const DEFAULT_ACLLOG_MAX_LEN: usize = 128;

/// A whole sentinel configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// The plain server directives a sentinel uses (port, bind, logging...).
    pub server: ServerConfig,
    /// Global `sentinel ...` directives and state.
    pub sentinel: SentinelConfig,
    /// Monitored masters, in the order of their `sentinel monitor` lines.
    /// Add and remove them with [`Config::add_master`] and
    /// [`Config::remove_master`], which keep the name index up to date.
    pub masters: Vec<MasterConfig>,
    /// Where each master is in `masters`, by name: a lookup aid for
    /// [`Config::master`] (the core looks masters up by name on every
    /// input), never a source of truth.
    pub index: MasterIndex,
}

/// Positions of the masters by name. Every use checks the position it
/// finds, and a miss falls back to a scan, so a stale index (after a
/// direct change of `masters`) costs time, never correctness. Equal to
/// any other index and printed as `..`: it is not part of the config.
#[derive(Clone, Default)]
pub struct MasterIndex(BTreeMap<String, usize>);

impl PartialEq for MasterIndex {
    fn eq(&self, _: &MasterIndex) -> bool {
        true
    }
}

impl Eq for MasterIndex {}

impl std::fmt::Debug for MasterIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("..")
    }
}

impl Config {
    /// Where the master called `name` is in `masters`.
    fn position(&self, name: &str) -> Option<usize> {
        match self.index.0.get(name) {
            Some(&i) if self.masters.get(i).is_some_and(|m| m.name == name) => Some(i),
            _ => self.masters.iter().position(|m| m.name == name),
        }
    }

    /// The master with this name, if monitored.
    pub fn master(&self, name: &str) -> Option<&MasterConfig> {
        self.position(name).map(|i| &self.masters[i])
    }

    /// The master with this name, mutably.
    pub fn master_mut(&mut self, name: &str) -> Option<&mut MasterConfig> {
        self.position(name).map(|i| &mut self.masters[i])
    }

    /// Adds a master at the end.
    pub fn add_master(&mut self, master: MasterConfig) {
        self.index.0.insert(master.name.clone(), self.masters.len());
        self.masters.push(master);
    }

    /// Removes the master called `name`, if there is one.
    pub fn remove_master(&mut self, name: &str) {
        self.masters.retain(|m| m.name != name);
        self.index.0 = self.masters.iter().enumerate().map(|(i, m)| (m.name.clone(), i)).collect();
    }
}

/// Log verbosity, as redis's `loglevel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum LogLevel {
    /// `debug`
    Debug,
    /// `verbose`
    Verbose,
    /// `notice` (the default)
    #[default]
    Notice,
    /// `warning`
    Warning,
    /// `nothing`
    Nothing,
}

impl LogLevel {
    /// The name used in config files.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Verbose => "verbose",
            LogLevel::Notice => "notice",
            LogLevel::Warning => "warning",
            LogLevel::Nothing => "nothing",
        }
    }

    /// Parses a config name, case-insensitively.
    pub fn parse(s: &str) -> Option<LogLevel> {
        Some(match s.to_ascii_lowercase().as_str() {
            "debug" => LogLevel::Debug,
            "verbose" => LogLevel::Verbose,
            "notice" => LogLevel::Notice,
            "warning" => LogLevel::Warning,
            "nothing" => LogLevel::Nothing,
            _ => return None,
        })
    }
}

/// Generates a config enum: its variants, the names used in config files
/// (parsed case-insensitively, as redis parses enum configs) and the list
/// of accepted names for error messages.
macro_rules! config_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }
     default $default:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every value, in the order of the documentation.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name used in config files.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Parses a config name, case-insensitively.
            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(s))
            }

            /// The accepted names, for error messages (`a, b, c`).
            pub fn names() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::default::Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }
    };
}

config_enum! {
    /// `supervised`: how the process tells a supervisor it is ready (the
    /// shell acts on it; see `shell::supervise`).
    Supervised {
        /// `no`: no supervisor interaction (the default).
        No = "no",
        /// `upstart`: stop with SIGSTOP once ready (upstart's `expect stop`).
        Upstart = "upstart",
        /// `systemd`: `READY=1`, `STATUS=`, `STOPPING=1` and watchdog pings
        /// on `$NOTIFY_SOCKET`.
        Systemd = "systemd",
        /// `auto`: upstart when `UPSTART_JOB` is set, else systemd when
        /// `NOTIFY_SOCKET` is set, else none.
        Auto = "auto",
    } default No
}

config_enum! {
    /// `log-format` (Valkey's directive): how each log line is laid out.
    LogFormat {
        /// `legacy`: redis-sentinel's `pid:X date level-char message`.
        Legacy = "legacy",
        /// `logfmt`: `pid=.. role=sentinel timestamp=".." level=.. message=".."`.
        Logfmt = "logfmt",
        /// `json`: one JSON object per line, with the same fields.
        Json = "json",
    } default Legacy
}

config_enum! {
    /// `log-timestamp-format` (Valkey's directive): how times are written.
    LogTimestampFormat {
        /// `legacy`: `24 Nov 2026 23:36:48.123`, local time, as redis writes it.
        Legacy = "legacy",
        /// `iso8601`: `2026-11-24T23:36:48.123+01:00`, local time with its offset.
        Iso8601 = "iso8601",
        /// `milliseconds`: milliseconds since the Unix epoch.
        Milliseconds = "milliseconds",
    } default Legacy
}

/// The server directives that matter to a sentinel.
///
/// Directives a sentinel accepts but does not use (`save`,
/// `enable-debug-command`, ...) are validated by the parser and kept as lines
/// of the original file; they do not appear here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// `port`: the client port (default 26379; 0 = no TCP listener).
    pub port: u16,
    /// `bind`: listen addresses, as written (`-` = optional); empty = redis
    /// 7's default, `* -::*` (every IPv4 and IPv6 address).
    pub bind: Vec<String>,
    /// `dir`: working directory, changed into at start.
    pub dir: Option<String>,
    /// `logfile`: empty = standard output.
    pub logfile: String,
    /// `loglevel`.
    pub loglevel: LogLevel,
    /// `daemonize`: fork into the background at start (ignored when a
    /// supervisor is detected, as redis does).
    pub daemonize: bool,
    /// `supervised`: the supervisor to notify.
    pub supervised: Supervised,
    /// `log-format`.
    pub log_format: LogFormat,
    /// `log-timestamp-format`.
    pub log_timestamp_format: LogTimestampFormat,
    /// `pidfile`.
    pub pidfile: Option<String>,
    /// `protected-mode` (default no in sentinel mode).
    pub protected_mode: bool,
    /// `requirepass`: password of the default user.
    pub requirepass: Option<String>,
    /// `maxclients`.
    pub maxclients: usize,
    /// `timeout`: idle client timeout in seconds, 0 = never.
    pub timeout_secs: u64,
    /// `user` lines (`[name, rules...]`), checked at load
    /// ([`crate::acl`]); `ACL SETUSER` replaces them.
    pub users: Vec<Vec<String>>,
    /// `acllog-max-len`: how many entries `ACL LOG` keeps.
    pub acllog_max_len: usize,
    /// `rename-command` lines for the sentinel's own commands, applied in
    /// order as redis does: a command's table name (lowercase) → the name
    /// it answers to (empty = disabled). See
    /// [`crate::commands::rename`].
    pub rename_commands: BTreeMap<String, String>,
    /// `tls-*` directives as written, name → arguments (a rewrite keeps
    /// them); [`ServerConfig::tls_settings`] reads them.
    pub tls: BTreeMap<String, Vec<String>>,
    /// `unixsocket`: a unix socket path clients may connect to as well
    /// (`None` = no unix socket).
    pub unixsocket: Option<String>,
    /// `unixsocketperm`: the socket file's permissions (octal in the
    /// file); `None` = as the umask leaves them.
    pub unixsocketperm: Option<u32>,
    /// `metrics-listen <host:port>` (rsentinel only): the HTTP listener for
    /// `/metrics`, `/healthz`, `/readyz` and `/status.json`, as written
    /// (`127.0.0.1:9355`, `[::]:9355`, `pod.local:9355`); `None` = none,
    /// the default.
    pub metrics_listen: Option<String>,
}

impl ServerConfig {
    /// The `tls-*` lines, typed.
    pub fn tls_settings(&self) -> super::TlsSettings {
        super::TlsSettings::from_directives(&self.tls)
    }

    /// The port a hello announces when `sentinel announce-port` is 0:
    /// `tls-port` when the links use TLS (`tls-replication yes`) and it is
    /// set, as redis-sentinel announces it, else `port`.
    pub fn hello_port(&self) -> u16 {
        let one = |name: &str| self.tls.get(name).and_then(|v| v.first());
        let tls_links = one("tls-replication").is_some_and(|v| v.eq_ignore_ascii_case("yes"));
        let tls_port = one("tls-port").and_then(|p| p.parse::<u16>().ok()).unwrap_or(0);
        if tls_links && tls_port != 0 { tls_port } else { self.port }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            port: DEFAULT_PORT,
            bind: Vec::new(),
            dir: None,
            logfile: String::new(),
            loglevel: LogLevel::Notice,
            daemonize: false,
            supervised: Supervised::No,
            log_format: LogFormat::Legacy,
            log_timestamp_format: LogTimestampFormat::Legacy,
            pidfile: None,
            protected_mode: false,
            requirepass: None,
            maxclients: DEFAULT_MAXCLIENTS,
            timeout_secs: 0,
            users: Vec::new(),
            acllog_max_len: DEFAULT_ACLLOG_MAX_LEN,
            rename_commands: BTreeMap::new(),
            tls: BTreeMap::new(),
            unixsocket: None,
            unixsocketperm: None,
            metrics_listen: None,
        }
    }
}

/// Global `sentinel ...` directives and the state the sentinel persists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentinelConfig {
    /// `sentinel myid`: 40 characters; generated at first start when absent.
    pub myid: Option<RunId>,
    /// `sentinel current-epoch`.
    pub current_epoch: Epoch,
    /// `sentinel announce-ip` (None when unset or empty).
    pub announce_ip: Option<String>,
    /// `sentinel announce-port` (0 = announce the listening port).
    pub announce_port: u16,
    /// `sentinel announce-hostnames`.
    pub announce_hostnames: bool,
    /// `sentinel resolve-hostnames`.
    pub resolve_hostnames: bool,
    /// `sentinel deny-scripts-reconfig` (default yes).
    pub deny_scripts_reconfig: bool,
    /// `sentinel sentinel-user`: user for AUTH towards peer sentinels
    /// (bytes, as every password and user name: not always UTF-8).
    pub sentinel_user: Option<Bytes>,
    /// `sentinel sentinel-pass`: password towards peer sentinels.
    pub sentinel_pass: Option<Bytes>,
    /// `sentinel hello-guard` (ours, default no): a newer master
    /// configuration announced by a hello is applied only once the peer
    /// that sent it confirms it over our own link to it (`core/guard.rs`).
    pub hello_guard: bool,
}

impl Default for SentinelConfig {
    fn default() -> Self {
        SentinelConfig {
            myid: None,
            current_epoch: Epoch::ZERO,
            announce_ip: None,
            announce_port: 0,
            announce_hostnames: false,
            resolve_hostnames: false,
            deny_scripts_reconfig: true,
            sentinel_user: None,
            sentinel_pass: None,
            hello_guard: false,
        }
    }
}

/// One monitored master: `sentinel monitor` plus its per-master directives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterConfig {
    /// The master's name (`mymaster`).
    pub name: String,
    /// The master's current address.
    pub addr: Addr,
    /// Sentinels that must agree the master is down (≥ 1).
    pub quorum: u32,
    /// `down-after-milliseconds`.
    pub down_after_ms: u64,
    /// `failover-timeout`.
    pub failover_timeout_ms: u64,
    /// `parallel-syncs`.
    pub parallel_syncs: u32,
    /// `notification-script`.
    pub notification_script: Option<String>,
    /// `client-reconfig-script`.
    pub client_reconfig_script: Option<String>,
    /// `auth-pass` (bytes).
    pub auth_pass: Option<Bytes>,
    /// `auth-user` (bytes).
    pub auth_user: Option<Bytes>,
    /// `master-reboot-down-after-period` (0 = off).
    pub master_reboot_down_after_period_ms: u64,
    /// `fence` (rsentinel only, 0 = off): pause the master's writes once
    /// no majority of sentinels answered for this long (`core/fence.rs`).
    pub fence_ms: u64,
    /// `config-epoch`: epoch of this master's current configuration.
    pub config_epoch: Epoch,
    /// `leader-epoch`: epoch of this sentinel's last vote for this master.
    pub leader_epoch: Epoch,
    /// `known-replica` lines, in order.
    pub known_replicas: Vec<Addr>,
    /// `known-sentinel` lines, in order.
    pub known_sentinels: Vec<KnownSentinel>,
    /// `rename-command` for commands sent to this master's instances
    /// (lowercased original name → new name), in insertion order.
    pub rename_commands: Vec<(String, String)>,
}

impl MasterConfig {
    /// A master with every option at its default.
    pub fn new(name: impl Into<String>, addr: Addr, quorum: u32) -> MasterConfig {
        MasterConfig {
            name: name.into(),
            addr,
            quorum,
            down_after_ms: DEFAULT_DOWN_AFTER_MS,
            failover_timeout_ms: DEFAULT_FAILOVER_TIMEOUT_MS,
            parallel_syncs: DEFAULT_PARALLEL_SYNCS,
            notification_script: None,
            client_reconfig_script: None,
            auth_pass: None,
            auth_user: None,
            master_reboot_down_after_period_ms: 0,
            fence_ms: 0,
            config_epoch: Epoch::ZERO,
            leader_epoch: Epoch::ZERO,
            known_replicas: Vec::new(),
            known_sentinels: Vec::new(),
            rename_commands: Vec::new(),
        }
    }
}

/// A peer sentinel remembered in the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownSentinel {
    /// The peer's announced address.
    pub addr: Addr,
    /// The peer's myid.
    pub runid: RunId,
}
