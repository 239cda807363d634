//! The `sentinel ...` directives: queued while the file is read, then
//! applied in three passes, as redis-sentinel does.
//!
//! 1. Globals that change how the rest is read: `announce-ip`,
//!    `announce-port`, `deny-scripts-reconfig`, `sentinel-user`,
//!    `sentinel-pass`, `current-epoch`, `myid`, `resolve-hostnames`,
//!    `announce-hostnames`, and our `hello-guard` (so `resolve-hostnames
//!    yes` applies to every `monitor` line, wherever it is).
//! 2. Every `monitor` line, creating the masters in file order.
//! 3. Everything else, which names an existing master.
//!
//! Errors keep the line number and text of the original line.

use core::net::IpAddr;

use bytes::Bytes;

use super::error::ConfigError;
use super::model::{Config, KnownSentinel, MasterConfig};
use super::parse::{At, non_empty, parse_port, parse_u64, yes_no};
use crate::ids::{Addr, Epoch, RunId};
use crate::quoting::split_bytes;

/// Sub-directives applied in the first pass.
const PRE_MONITOR: &[&str] = &[
    "announce-ip",
    "announce-port",
    "deny-scripts-reconfig",
    "sentinel-user",
    "sentinel-pass",
    "current-epoch",
    "myid",
    "resolve-hostnames",
    "announce-hostnames",
    "hello-guard",
];

/// The reason for an unknown sub-directive, or a known one with the wrong
/// number of arguments.
pub(crate) const UNRECOGNIZED: &str = "Unrecognized sentinel configuration statement.";

/// One queued `sentinel` line.
#[derive(Debug)]
struct Pending {
    /// Where it came from, for error messages.
    at: At,
    /// The arguments after `sentinel` (never empty).
    args: Vec<String>,
}

/// The `sentinel` lines read so far, sorted into the three passes.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    pre_monitor: Vec<Pending>,
    monitor: Vec<Pending>,
    rest: Vec<Pending>,
}

impl Queue {
    /// Queues a `sentinel` line; `args` are the words after `sentinel`.
    pub(crate) fn push(&mut self, at: At, args: Vec<String>) {
        let sub = args.first().map(|s| s.to_ascii_lowercase()).unwrap_or_default();
        let pending = Pending { at, args };
        if PRE_MONITOR.contains(&sub.as_str()) {
            self.pre_monitor.push(pending);
        } else if sub == "monitor" {
            self.monitor.push(pending);
        } else {
            self.rest.push(pending);
        }
    }

    /// Applies the queued lines to `config`, pass by pass.
    pub(crate) fn apply(self, config: &mut Config) -> Result<(), ConfigError> {
        for pending in self.pre_monitor.into_iter().chain(self.monitor).chain(self.rest) {
            let last = last_raw(&pending);
            apply_one(config, &pending.args, last).map_err(|reason| pending.at.error(reason))?;
        }
        Ok(())
    }
}

/// The bytes of a line's last argument as written (`"\xff"` is the byte
/// 0xff, which the `String` arguments cannot hold): passwords and user
/// names are bytes. The `String` form when the text cannot say.
fn last_raw(pending: &Pending) -> Bytes {
    let last = pending.args.last().cloned().unwrap_or_default();
    match split_bytes(pending.at.text.trim().as_bytes()) {
        Ok(raw) if raw.len() == pending.args.len() + 1 => {
            Bytes::from(raw.into_iter().last().unwrap_or_default())
        }
        _ => Bytes::from(last),
    }
}

/// Applies one `sentinel` line (`args` without the leading `sentinel`;
/// `last` is the bytes of the last one).
fn apply_one(config: &mut Config, args: &[String], last: Bytes) -> Result<(), String> {
    let sub = args[0].to_ascii_lowercase();
    let global = &mut config.sentinel;
    match (sub.as_str(), &args[1..]) {
        ("announce-ip", [ip]) => global.announce_ip = non_empty(ip),
        ("announce-port", [port]) => global.announce_port = parse_port(port)?,
        ("deny-scripts-reconfig", [v]) => {
            global.deny_scripts_reconfig = yes_no(v).ok_or(
                "Please specify yes or no for the deny-scripts-reconfig options.".to_string(),
            )?
        }
        ("resolve-hostnames", [v]) => {
            global.resolve_hostnames = yes_no(v)
                .ok_or("Please specify yes or no for the resolve-hostnames option.".to_string())?
        }
        ("announce-hostnames", [v]) => {
            global.announce_hostnames = yes_no(v)
                .ok_or("Please specify yes or no for the announce-hostnames option.".to_string())?
        }
        ("hello-guard", [v]) => {
            global.hello_guard = yes_no(v)
                .ok_or("Please specify yes or no for the hello-guard option.".to_string())?
        }
        ("sentinel-user", [_]) => global.sentinel_user = (!last.is_empty()).then_some(last),
        ("sentinel-pass", [_]) => global.sentinel_pass = (!last.is_empty()).then_some(last),
        ("current-epoch", [epoch]) => {
            global.current_epoch = global.current_epoch.max(parse_epoch(epoch)?)
        }
        ("myid", [id]) => {
            if id.len() != 40 {
                return Err(format!(
                    "Malformed Sentinel id in myid option. Got {} characters, want 40.",
                    id.len()
                ));
            }
            global.myid = Some(RunId::from(id.clone()));
        }
        ("monitor", [name, host, port, quorum]) => monitor(config, name, host, port, quorum)?,
        (sub, [name, values @ ..]) => master_directive(config, sub, name, values, last)?,
        _ => return Err(UNRECOGNIZED.into()),
    }
    Ok(())
}

/// `sentinel monitor <name> <host> <port> <quorum>`.
fn monitor(
    config: &mut Config,
    name: &str,
    host: &str,
    port: &str,
    quorum: &str,
) -> Result<(), String> {
    let quorum = parse_quorum(quorum)?;
    let addr = parse_addr(config, host, port)?;
    if config.master(name).is_some() {
        return Err("Duplicate master name.".into());
    }
    config.add_master(MasterConfig::new(name, addr, quorum));
    Ok(())
}

/// A quorum: an integer of at least 1.
pub(crate) fn parse_quorum(quorum: &str) -> Result<u32, String> {
    match parse_u64(quorum).map(u32::try_from) {
        Some(Ok(q)) if q >= 1 => Ok(q),
        _ => Err(format!("Quorum must be 1 or greater. Got '{quorum}'.")),
    }
}

/// A per-master sub-directive: `sentinel <sub> <name> <values...>`.
fn master_directive(
    config: &mut Config,
    sub: &str,
    name: &str,
    values: &[String],
    last: Bytes,
) -> Result<(), String> {
    if !is_master_directive(sub, values.len()) {
        return Err(UNRECOGNIZED.into());
    }
    if config.master(name).is_none() {
        return Err("No such master with specified name.".into());
    }
    // Addresses are parsed before the master is borrowed mutably.
    let addr = match (sub, values) {
        ("known-replica" | "known-slave" | "known-sentinel", [host, port, ..]) => {
            Some(parse_addr(config, host, port)?)
        }
        _ => None,
    };
    let Some(master) = config.master_mut(name) else {
        return Err("No such master with specified name.".into());
    };
    let mut raise_epoch = None;
    match (sub, values) {
        ("down-after-milliseconds", [ms]) => master.down_after_ms = parse_positive_time(ms)?,
        ("failover-timeout", [ms]) => master.failover_timeout_ms = parse_positive_time(ms)?,
        ("parallel-syncs", [n]) => master.parallel_syncs = parse_parallel_syncs(n)?,
        ("notification-script", [path]) => master.notification_script = Some(path.clone()),
        ("client-reconfig-script", [path]) => master.client_reconfig_script = Some(path.clone()),
        ("auth-pass", [_]) => master.auth_pass = Some(last),
        ("auth-user", [_]) => master.auth_user = Some(last),
        ("master-reboot-down-after-period" | "primary-reboot-down-after-period", [ms]) => {
            master.master_reboot_down_after_period_ms = parse_u64(ms).ok_or_else(|| {
                format!("negative time parameter. Got '{ms}': must be an integer of at least 0.")
            })?
        }
        ("fence", [ms]) => {
            master.fence_ms = parse_u64(ms).ok_or_else(|| {
                format!("negative time parameter. Got '{ms}': must be an integer of at least 0.")
            })?
        }
        ("config-epoch", [epoch]) => {
            master.config_epoch = parse_epoch(epoch)?;
            raise_epoch = Some(master.config_epoch);
        }
        ("leader-epoch", [epoch]) => master.leader_epoch = parse_epoch(epoch)?,
        ("rename-command", [command, new_name]) => {
            let command = command.to_ascii_lowercase();
            if master.rename_commands.iter().any(|(c, _)| *c == command) {
                return Err("Same command renamed multiple times with rename-command.".into());
            }
            master.rename_commands.push((command, new_name.clone()));
        }
        ("known-replica" | "known-slave", _) => {
            let addr = addr.expect("parsed above for known-replica");
            if master.known_replicas.contains(&addr) {
                return Err("Duplicate hostname and port for replica.".into());
            }
            master.known_replicas.push(addr);
        }
        // The old form without a run id is ignored, as in redis-sentinel.
        ("known-sentinel", [_, _]) => {}
        ("known-sentinel", [_, _, runid]) => {
            let addr = addr.expect("parsed above for known-sentinel");
            if master.known_sentinels.iter().any(|s| s.runid.as_str() == runid) {
                return Err("Duplicate runid for sentinel.".into());
            }
            master.known_sentinels.push(KnownSentinel { addr, runid: RunId::from(runid.clone()) });
        }
        _ => unreachable!("is_master_directive accepted {sub} with {} values", values.len()),
    }
    if let Some(epoch) = raise_epoch {
        config.sentinel.current_epoch = config.sentinel.current_epoch.max(epoch);
    }
    Ok(())
}

/// Whether `sub` is a per-master sub-directive taking `n` values after the
/// master name.
fn is_master_directive(sub: &str, n: usize) -> bool {
    match sub {
        "down-after-milliseconds"
        | "failover-timeout"
        | "parallel-syncs"
        | "notification-script"
        | "client-reconfig-script"
        | "auth-pass"
        | "auth-user"
        | "master-reboot-down-after-period"
        | "primary-reboot-down-after-period"
        | "fence"
        | "config-epoch"
        | "leader-epoch" => n == 1,
        "rename-command" | "known-replica" | "known-slave" => n == 2,
        "known-sentinel" => n == 2 || n == 3,
        _ => false,
    }
}

/// An instance address: a port, and a host that must be an IP literal
/// unless `resolve-hostnames yes` (no name is resolved here).
fn parse_addr(config: &Config, host: &str, port: &str) -> Result<Addr, String> {
    let port = parse_port(port)?;
    let is_ip = host.parse::<IpAddr>().is_ok();
    if host.is_empty() || (!is_ip && !config.sentinel.resolve_hostnames) {
        return Err(format!(
            "Can't resolve instance hostname. '{host}' is not an IP address \
             (hostnames need 'sentinel resolve-hostnames yes')."
        ));
    }
    Ok(Addr::new(host, port))
}

/// `parallel-syncs`: an integer of at least 1.
pub(crate) fn parse_parallel_syncs(n: &str) -> Result<u32, String> {
    match parse_u64(n).map(u32::try_from) {
        Some(Ok(n)) if n >= 1 => Ok(n),
        _ => Err(format!("Invalid parallel-syncs '{n}': must be an integer of at least 1")),
    }
}

/// A time in milliseconds that must be at least 1.
fn parse_positive_time(ms: &str) -> Result<u64, String> {
    match parse_u64(ms) {
        Some(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "negative or zero time parameter. Got '{ms}': must be an integer of at least 1."
        )),
    }
}

/// An epoch: a non-negative integer.
pub(crate) fn parse_epoch(epoch: &str) -> Result<Epoch, String> {
    parse_u64(epoch)
        .map(Epoch)
        .ok_or_else(|| format!("Invalid epoch '{epoch}': must be a non-negative integer"))
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    const ID_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const ID_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn reason(text: &str) -> String {
        match parse(text) {
            Ok(c) => panic!("{text:?} parsed: {c:?}"),
            Err(e) => e.reason,
        }
    }

    const MONITOR: &str = "sentinel monitor m 127.0.0.1 6379 2\n";

    #[test]
    fn per_master_lines_may_precede_monitor() {
        let c = parse(&format!("sentinel down-after-milliseconds m 5000\n{MONITOR}")).expect("ok");
        assert_eq!(c.masters[0].down_after_ms, 5000);
    }

    #[test]
    fn resolve_hostnames_applies_to_earlier_monitor_lines() {
        let text = "sentinel monitor m redis.local 6379 2\nsentinel resolve-hostnames yes\n";
        assert_eq!(parse(text).expect("ok").masters[0].addr, Addr::new("redis.local", 6379));
        assert!(
            reason("sentinel monitor m redis.local 6379 2")
                .starts_with("Can't resolve instance hostname.")
        );
        assert!(parse("sentinel monitor m ::1 6379 2").is_ok());
    }

    #[test]
    fn epochs() {
        let text = format!(
            "{MONITOR}sentinel current-epoch 3\nsentinel current-epoch 2\nsentinel config-epoch m 7\n\
             sentinel leader-epoch m 9\n"
        );
        let c = parse(&text).expect("ok");
        assert_eq!(c.sentinel.current_epoch, Epoch(7));
        assert_eq!((c.masters[0].config_epoch, c.masters[0].leader_epoch), (Epoch(7), Epoch(9)));
        assert!(
            reason(&format!("{MONITOR}sentinel config-epoch m -1"))
                .starts_with("Invalid epoch '-1'")
        );
    }

    #[test]
    fn known_instances() {
        let text = format!(
            "{MONITOR}sentinel known-slave m 10.0.0.1 6380\nsentinel KNOWN-REPLICA m 10.0.0.2 6380\n\
             sentinel known-sentinel m 10.0.0.3 26379 {ID_A}\nsentinel known-sentinel m 10.0.0.4 26379\n\
             sentinel known-sentinel m 10.0.0.3 26379 {ID_B}\n"
        );
        let m = parse(&text).expect("ok").masters.remove(0);
        assert_eq!(m.known_replicas, [Addr::new("10.0.0.1", 6380), Addr::new("10.0.0.2", 6380)]);
        let ids: Vec<_> = m.known_sentinels.iter().map(|s| s.runid.as_str()).collect();
        assert_eq!(ids, [ID_A, ID_B]);
        let dup = format!(
            "{MONITOR}sentinel known-replica m 10.0.0.1 1\nsentinel known-slave m 10.0.0.1 1"
        );
        assert_eq!(reason(&dup), "Duplicate hostname and port for replica.");
        let dup = format!(
            "{MONITOR}sentinel known-sentinel m 10.0.0.1 1 {ID_A}\nsentinel known-sentinel m 10.0.0.2 1 {ID_A}"
        );
        assert_eq!(reason(&dup), "Duplicate runid for sentinel.");
    }

    #[test]
    fn globals() {
        let text = format!(
            "sentinel myid {ID_A}\nsentinel announce-ip \"\"\nsentinel announce-port 1\n\
             sentinel deny-scripts-reconfig no\nsentinel sentinel-user u\nsentinel sentinel-pass \"\"\n\
             sentinel announce-hostnames yes\n"
        );
        let s = parse(&text).expect("ok").sentinel;
        assert_eq!(s.myid, Some(RunId::from(String::from(ID_A))));
        assert_eq!((s.announce_ip, s.announce_port), (None, 1));
        assert!(!s.deny_scripts_reconfig && s.announce_hostnames && !s.resolve_hostnames);
        assert_eq!((s.sentinel_user.as_deref(), s.sentinel_pass), (Some(&b"u"[..]), None));
    }

    #[test]
    fn errors() {
        let cases: &[(&str, &str)] = &[
            ("sentinel monitor m 127.0.0.1 6379 0", "Quorum must be 1 or greater."),
            ("sentinel monitor m 127.0.0.1 6379 x", "Quorum must be 1 or greater."),
            ("sentinel monitor m 127.0.0.1 99999 1", "Invalid port number '99999'"),
            ("sentinel monitor m 127.0.0.1 6379", UNRECOGNIZED),
            ("sentinel monitorx m", UNRECOGNIZED),
            ("sentinel myid", UNRECOGNIZED),
            ("sentinel myid abc", "Malformed Sentinel id in myid option."),
            ("sentinel resolve-hostnames 1", "Please specify yes or no for the resolve-hostnames"),
            ("sentinel down-after-milliseconds nope 5", "No such master with specified name."),
            ("sentinel known-sentinel nope 1.2.3.4 5", "No such master with specified name."),
        ];
        for (text, want) in cases {
            assert!(reason(text).starts_with(want), "{text}: {}", reason(text));
        }
        let with_master: &[(&str, &str)] = &[
            ("down-after-milliseconds m 0", "negative or zero time parameter."),
            ("failover-timeout m -5", "negative or zero time parameter."),
            ("master-reboot-down-after-period m -1", "negative time parameter."),
            ("parallel-syncs m 0", "Invalid parallel-syncs '0'"),
            ("auth-pass m", UNRECOGNIZED),
            ("rename-command m a", UNRECOGNIZED),
            ("known-sentinel m 1.2.3.4 5 x y", UNRECOGNIZED),
            ("monitor m 127.0.0.2 1 1", "Duplicate master name."),
        ];
        for (line, want) in with_master {
            let text = format!("{MONITOR}sentinel {line}");
            assert!(reason(&text).starts_with(want), "{line}: {}", reason(&text));
        }
        let renames =
            format!("{MONITOR}sentinel rename-command m PING p\nsentinel rename-command m ping q");
        assert_eq!(reason(&renames), "Same command renamed multiple times with rename-command.");
    }

    #[test]
    fn sentinel_errors_come_after_server_errors_with_their_own_line() {
        let e = parse("sentinel monitor m 127.0.0.1 6379 0\nnosuch 1\n").expect_err("bad");
        assert_eq!(e.line, Some(2));
        let e =
            parse("sentinel down-after-milliseconds m 0\nsentinel monitor m 127.0.0.1 6379 1\n")
                .expect_err("bad");
        assert_eq!((e.line, e.text.as_str()), (Some(1), "sentinel down-after-milliseconds m 0"));
    }
}
