//! The redis.conf directives a sentinel accepts without using them.
//!
//! redis-sentinel is redis-server in another mode, so it accepts every
//! standard redis.conf directive (the upstream test suite writes
//! `enable-debug-command yes` into sentinel configs). rsentinel does the
//! same: the directives listed here are accepted, minimally validated, and
//! left as they are in the file. Anything not listed here, not modelled in
//! [`crate::config::ServerConfig`] and not a module option (`module.option`)
//! is an error.

/// Standard redis-server 7.x directives that take `yes` or `no`.
const BOOLEAN: &[&str] = &[
    "activedefrag",
    "activerehashing",
    "always-show-logo",
    "aof-load-truncated",
    "aof-rewrite-incremental-fsync",
    "aof-timestamp-enabled",
    "aof-use-rdb-preamble",
    "appendonly",
    "cluster-allow-pubsubshard-when-down",
    "cluster-allow-reads-when-down",
    "cluster-allow-replica-migration",
    "cluster-enabled",
    "cluster-replica-no-failover",
    "cluster-require-full-coverage",
    "cluster-slave-no-failover",
    "crash-log-enabled",
    "crash-memcheck-enabled",
    "disable-thp",
    "dynamic-hz",
    "io-threads-do-reads",
    "jemalloc-bg-thread",
    "latency-tracking",
    "lazyfree-lazy-eviction",
    "lazyfree-lazy-expire",
    "lazyfree-lazy-server-del",
    "lazyfree-lazy-user-del",
    "lazyfree-lazy-user-flush",
    "lua-replicate-commands",
    "no-appendfsync-on-rewrite",
    "rdb-del-sync-files",
    "rdb-save-incremental-fsync",
    "rdbchecksum",
    "rdbcompression",
    "repl-disable-tcp-nodelay",
    "repl-diskless-sync",
    "replica-announced",
    "replica-ignore-disk-write-errors",
    "replica-ignore-maxmemory",
    "replica-lazy-flush",
    "replica-read-only",
    "replica-serve-stale-data",
    "set-proc-title",
    "slave-ignore-maxmemory",
    "slave-lazy-flush",
    "slave-read-only",
    "slave-serve-stale-data",
    "stop-writes-on-bgsave-error",
    "syslog-enabled",
    "use-exit-on-panic",
];

/// Other standard redis-server 7.x directives, accepted with any non-empty
/// argument list.
const OTHER: &[&str] = &[
    "active-defrag-cycle-max",
    "active-defrag-cycle-min",
    "active-defrag-ignore-bytes",
    "active-defrag-max-scan-fields",
    "active-defrag-threshold-lower",
    "active-defrag-threshold-upper",
    "appenddirname",
    "appendfilename",
    "appendfsync",
    "auto-aof-rewrite-min-size",
    "auto-aof-rewrite-percentage",
    "bind-source-addr",
    "busy-reply-threshold",
    "client-output-buffer-limit",
    "client-query-buffer-limit",
    "cluster-announce-bus-port",
    "cluster-announce-hostname",
    "cluster-announce-ip",
    "cluster-announce-port",
    "cluster-announce-tls-port",
    "cluster-config-file",
    "cluster-link-sendbuf-limit",
    "cluster-migration-barrier",
    "cluster-node-timeout",
    "cluster-port",
    "cluster-preferred-endpoint-type",
    "cluster-replica-validity-factor",
    "cluster-slave-validity-factor",
    "databases",
    "dbfilename",
    "enable-debug-command",
    "enable-module-command",
    "enable-protected-configs",
    "hash-max-listpack-entries",
    "hash-max-listpack-value",
    "hash-max-ziplist-entries",
    "hash-max-ziplist-value",
    "hll-sparse-max-bytes",
    "hz",
    "ignore-warnings",
    "io-threads",
    "latency-monitor-threshold",
    "latency-tracking-info-percentiles",
    "lfu-decay-time",
    "lfu-log-factor",
    "list-compress-depth",
    "list-max-listpack-size",
    "list-max-ziplist-size",
    "loadmodule",
    "lua-time-limit",
    "masterauth",
    "masteruser",
    "maxmemory",
    "maxmemory-clients",
    "maxmemory-eviction-tenacity",
    "maxmemory-policy",
    "maxmemory-samples",
    "min-replicas-max-lag",
    "min-replicas-to-write",
    "min-slaves-max-lag",
    "min-slaves-to-write",
    "notify-keyspace-events",
    "oom-score-adj",
    "oom-score-adj-values",
    "proc-title-template",
    "propagation-error-behavior",
    "proto-max-bulk-len",
    "repl-backlog-size",
    "repl-backlog-ttl",
    "repl-diskless-load",
    "repl-diskless-sync-delay",
    "repl-diskless-sync-max-replicas",
    "repl-ping-replica-period",
    "repl-ping-slave-period",
    "repl-timeout",
    "replica-announce-ip",
    "replica-announce-port",
    "replica-priority",
    "replicaof",
    "save",
    "set-max-intset-entries",
    "set-max-listpack-entries",
    "set-max-listpack-value",
    "shutdown-on-sigint",
    "shutdown-on-sigterm",
    "shutdown-timeout",
    "slave-announce-ip",
    "slave-announce-port",
    "slave-priority",
    "slaveof",
    "slowlog-log-slower-than",
    "slowlog-max-len",
    "stream-node-max-bytes",
    "stream-node-max-entries",
    "syslog-facility",
    "syslog-ident",
    "tcp-backlog",
    "tcp-keepalive",
    "tracking-table-max-keys",
    "zset-max-listpack-entries",
    "zset-max-listpack-value",
    "zset-max-ziplist-entries",
    "zset-max-ziplist-value",
];

/// The `tls-*` directives of redis-server 7.x (kept in
/// [`crate::config::ServerConfig::tls`]).
const TLS: &[&str] = &[
    "tls-auth-clients",
    "tls-ca-cert-dir",
    "tls-ca-cert-file",
    "tls-cert-file",
    "tls-ciphers",
    "tls-ciphersuites",
    "tls-client-cert-file",
    "tls-client-key-file",
    "tls-client-key-file-pass",
    "tls-cluster",
    "tls-dh-params-file",
    "tls-key-file",
    "tls-key-file-pass",
    "tls-port",
    "tls-prefer-server-ciphers",
    "tls-protocols",
    "tls-replication",
    "tls-session-cache-size",
    "tls-session-cache-timeout",
    "tls-session-caching",
];

/// How an accepted-but-unused directive is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Passive {
    /// Takes exactly one `yes`/`no` argument.
    Boolean,
    /// Takes at least one argument, not checked further.
    Any,
}

/// Whether `name` (lowercase) is a standard directive a sentinel accepts
/// but ignores, and how to check it. Module options (`name.option`) count.
pub(crate) fn passive(name: &str) -> Option<Passive> {
    if BOOLEAN.binary_search(&name).is_ok() {
        Some(Passive::Boolean)
    } else if OTHER.binary_search(&name).is_ok() || is_module_option(name) {
        Some(Passive::Any)
    } else {
        None
    }
}

/// Whether `name` (lowercase) is a `tls-*` directive of redis-server.
pub(crate) fn is_tls(name: &str) -> bool {
    TLS.binary_search(&name).is_ok()
}

/// The directives of a `sentinel.conf` that rsentinel accepts, as
/// redis-sentinel does, but does not act on: `(name, first line)`, one per
/// name, in file order. redis.conf settings with no meaning for a sentinel
/// (`save`, `hz`, ...) and `tls-cluster` (a sentinel has no cluster bus).
/// The other `tls-*` lines are acted on (what rustls cannot honour in
/// them is logged when TLS is set up, by the shell). `include`,
/// `rename-command`, `protected-mode`, `bind`, `unixsocket`,
/// `unixsocketperm`, `daemonize` and `supervised` are acted on. Lines that do not split
/// are skipped: parsing reports them.
pub fn not_acted_on(text: &str) -> Vec<(String, usize)> {
    let mut found: Vec<(String, usize)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Ok(args) = crate::quoting::split_line(line) else { continue };
        let Some(name) = args.first().map(|a| a.to_ascii_lowercase()) else { continue };
        let unused = passive(&name).is_some() || name == "tls-cluster";
        if unused && !found.iter().any(|(n, _)| *n == name) {
            found.push((name, i + 1));
        }
    }
    found
}

/// `module.option`: a module's config, queued by redis until the module loads.
fn is_module_option(name: &str) -> bool {
    match name.split_once('.') {
        Some((module, option)) => !module.is_empty() && !option.is_empty(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sorted_for_binary_search() {
        for list in [BOOLEAN, OTHER, TLS] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{:?}", list);
        }
    }

    #[test]
    fn classifies() {
        assert_eq!(passive("appendonly"), Some(Passive::Boolean));
        assert_eq!(passive("save"), Some(Passive::Any));
        assert_eq!(passive("enable-debug-command"), Some(Passive::Any));
        assert_eq!(passive("mymodule.threads"), Some(Passive::Any));
        assert_eq!(passive("no-such-directive"), None);
        assert_eq!(passive(".x"), None);
        assert!(is_tls("tls-port"));
        assert!(!is_tls("tls-nope"));
    }

    #[test]
    fn unused_directives_are_named_once_with_their_first_line() {
        let text = "port 5000\n# save 60 1\nsave \"\"\ndaemonize no\nhz 10\nsave 900 1\n\
                    daemonize yes\ntls-port 0\ntls-cluster no\nsentinel monitor m 127.0.0.1 6379 2\n";
        let names: Vec<(String, usize)> = not_acted_on(text);
        let want = [("save", 3), ("hz", 5), ("tls-cluster", 9)];
        assert_eq!(names, want.map(|(n, l)| (n.to_string(), l)).to_vec());
        let acted = "include x\nrename-command ping p\nprotected-mode yes\nbind * -::*\n\
                     unixsocket /s\nunixsocketperm 700\ndaemonize yes\nsupervised systemd\n";
        assert_eq!(not_acted_on(acted), vec![]);
    }
}
