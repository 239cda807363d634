//! [`Document`] → directives → [`Config`], through the `sentinel.conf`
//! reader: every YAML field becomes the config line that means the same
//! (`masters.m.quorum: 2` is part of `sentinel monitor m ... 2`), carrying
//! its YAML line and field path. So the two formats share every rule
//! (ports, quorum, hostnames without `resolve-hostnames`, myid length,
//! duplicates, unknown masters in `state`) and every message.
//!
//! What YAML adds is checked here first: booleans (`true`/`false` as well
//! as `yes`/`no`), durations (`5s`, `500ms`, `1m`; a plain integer is
//! milliseconds) and `host:port` addresses.

use std::time::Duration;

use serde_saphyr::Spanned;

use super::schema::{Document, Master, MasterState, Text};
use crate::config::ConfigError;
use crate::config::parse::{At, Reader, parse_port, parse_u64};
use crate::config::sentinel::{parse_epoch, parse_parallel_syncs, parse_quorum};
use crate::quoting::{join_line, split_line};

/// The directives of a YAML document, in an order the reader accepts.
#[derive(Default)]
pub(super) struct Lowered {
    directives: Vec<(At, Vec<String>)>,
}

impl Lowered {
    /// Feeds the directives to a fresh reader.
    pub(super) fn into_reader(self) -> Result<Reader, ConfigError> {
        let mut reader = Reader::default();
        for (at, args) in self.directives {
            reader.directive(at, args)?;
        }
        Ok(reader)
    }

    /// Adds the directive `args`, read from `value` at `path`.
    fn push<T>(&mut self, value: &Spanned<T>, path: &str, args: Vec<String>) {
        let at = At {
            line: Some(value.referenced.line() as usize),
            text: join_line(&args),
            path: Some(path.to_string()),
            file: None,
        };
        self.directives.push((at, args));
    }

    /// `name value`, the value passed as written.
    fn plain(&mut self, value: &Option<Text>, path: &str, name: &[&str]) {
        if let Some(v) = value {
            self.push(v, path, words(name, [v.value.clone()]));
        }
    }

    /// `name yes|no`, from a YAML boolean.
    fn boolean(
        &mut self,
        value: &Option<Text>,
        path: &str,
        name: &[&str],
    ) -> Result<(), ConfigError> {
        if let Some(v) = value {
            let yes = parse_bool(v, path)?;
            self.push(v, path, words(name, [if yes { "yes" } else { "no" }.to_string()]));
        }
        Ok(())
    }

    /// `name <milliseconds>`, from a duration of at least `min_ms`.
    fn millis(
        &mut self,
        value: &Option<Text>,
        path: &str,
        name: &[&str],
        min_ms: u64,
    ) -> Result<(), ConfigError> {
        if let Some(v) = value {
            let ms = parse_millis(v, path)?;
            if ms < min_ms {
                return Err(error(
                    v,
                    path,
                    format!("must be at least {min_ms}ms, got '{}'", v.value),
                ));
            }
            self.push(v, path, words(name, [ms.to_string()]));
        }
        Ok(())
    }
}

/// Lowers a whole document.
pub(super) fn lower(doc: &Document) -> Result<Lowered, ConfigError> {
    let mut out = Lowered::default();
    server(&mut out, doc)?;
    if let Some(g) = &doc.sentinel {
        let s = |name: &str| format!("sentinel.{name}");
        out.plain(&g.announce_ip, &s("announce-ip"), &["sentinel", "announce-ip"]);
        out.plain(&g.announce_port, &s("announce-port"), &["sentinel", "announce-port"]);
        out.boolean(
            &g.announce_hostnames,
            &s("announce-hostnames"),
            &["sentinel", "announce-hostnames"],
        )?;
        out.boolean(
            &g.resolve_hostnames,
            &s("resolve-hostnames"),
            &["sentinel", "resolve-hostnames"],
        )?;
        out.boolean(
            &g.deny_scripts_reconfig,
            &s("deny-scripts-reconfig"),
            &["sentinel", "deny-scripts-reconfig"],
        )?;
        out.boolean(&g.hello_guard, &s("hello-guard"), &["sentinel", "hello-guard"])?;
        out.plain(&g.sentinel_user, &s("sentinel-user"), &["sentinel", "sentinel-user"]);
        out.plain(&g.sentinel_pass, &s("sentinel-pass"), &["sentinel", "sentinel-pass"]);
    }
    for (name, master) in doc.masters.iter().flat_map(|m| &m.0) {
        monitor(&mut out, name, master)?;
    }
    if let Some(state) = &doc.state {
        if let Some(id) = &state.myid {
            out.push(id, "state.myid", vec!["sentinel".into(), "myid".into(), id.value.clone()]);
        }
        if let Some(epoch) = &state.current_epoch {
            parse_epoch(&epoch.value).map_err(|r| error(epoch, "state.current-epoch", r))?;
            let args = vec!["sentinel".into(), "current-epoch".into(), epoch.value.clone()];
            out.push(epoch, "state.current-epoch", args);
        }
        for (name, master) in state.masters.iter().flat_map(|m| &m.0) {
            master_state(&mut out, name, master)?;
        }
    }
    Ok(out)
}

/// The server settings at the top level.
fn server(out: &mut Lowered, doc: &Document) -> Result<(), ConfigError> {
    if let Some(port) = &doc.port {
        parse_port(&port.value).map_err(|r| error(port, "port", r))?;
    }
    out.plain(&doc.port, "port", &["port"]);
    if let Some(bind) = &doc.bind {
        if bind.value.is_empty() {
            return Err(error(bind, "bind", "expected at least one address"));
        }
        let mut args = vec!["bind".to_string()];
        args.extend(bind.value.iter().map(|a| a.value.clone()));
        out.push(bind, "bind", args);
    }
    out.plain(&doc.dir, "dir", &["dir"]);
    out.plain(&doc.logfile, "logfile", &["logfile"]);
    out.plain(&doc.loglevel, "loglevel", &["loglevel"]);
    out.boolean(&doc.daemonize, "daemonize", &["daemonize"])?;
    out.plain(&doc.supervised, "supervised", &["supervised"]);
    out.plain(&doc.log_format, "log-format", &["log-format"]);
    out.plain(&doc.log_timestamp_format, "log-timestamp-format", &["log-timestamp-format"]);
    out.plain(&doc.pidfile, "pidfile", &["pidfile"]);
    out.plain(&doc.metrics_listen, "metrics-listen", &["metrics-listen"]);
    out.boolean(&doc.protected_mode, "protected-mode", &["protected-mode"])?;
    out.plain(&doc.requirepass, "requirepass", &["requirepass"]);
    out.plain(&doc.maxclients, "maxclients", &["maxclients"]);
    if let Some(t) = &doc.timeout {
        let ms = parse_millis(t, "timeout")?;
        if ms % 1000 != 0 {
            return Err(error(t, "timeout", format!("must be whole seconds, got '{}'", t.value)));
        }
        out.push(t, "timeout", vec!["timeout".into(), (ms / 1000).to_string()]);
    }
    for (i, user) in doc.users.iter().flatten().enumerate() {
        let path = format!("users[{i}]");
        let rules = split_line(&user.value).map_err(|e| error(user, &path, e.to_string()))?;
        if rules.is_empty() {
            return Err(error(user, &path, "expected a user name and its ACL rules"));
        }
        out.push(user, &path, words(&["user"], rules));
    }
    for (command, new_name) in doc.rename_command.iter().flat_map(|m| &m.0) {
        let path = format!("rename-command.{command}");
        out.push(new_name, &path, words(&["rename-command", command], [new_name.value.clone()]));
    }
    for (name, value) in doc.tls.iter().flat_map(|m| &m.0) {
        let path = format!("tls.{name}");
        if !name.starts_with("tls-") {
            return Err(error(value, &path, "expected a tls-* directive"));
        }
        out.push(value, &path, words(&[name], [value.value.clone()]));
    }
    Ok(())
}

/// `masters.<name>`: `sentinel monitor` and the per-master options.
fn monitor(out: &mut Lowered, name: &str, m: &Master) -> Result<(), ConfigError> {
    let path = |field: &str| format!("masters.{name}.{field}");
    parse_port(&m.port.value).map_err(|r| error(&m.port, &path("port"), r))?;
    parse_quorum(&m.quorum.value).map_err(|r| error(&m.quorum, &path("quorum"), r))?;
    // Port and quorum are fine, so the monitor line can only fail on the host.
    let args = [m.host.value.clone(), m.port.value.clone(), m.quorum.value.clone()];
    out.push(&m.host, &path("host"), words(&["sentinel", "monitor", name], args));
    let sub = |directive: &'static str| ["sentinel", directive, name];
    out.millis(&m.down_after, &path("down-after"), &sub("down-after-milliseconds"), 1)?;
    out.millis(&m.failover_timeout, &path("failover-timeout"), &sub("failover-timeout"), 1)?;
    if let Some(n) = &m.parallel_syncs {
        parse_parallel_syncs(&n.value).map_err(|r| error(n, &path("parallel-syncs"), r))?;
    }
    out.plain(&m.parallel_syncs, &path("parallel-syncs"), &sub("parallel-syncs"));
    out.plain(&m.notification_script, &path("notification-script"), &sub("notification-script"));
    out.plain(
        &m.client_reconfig_script,
        &path("client-reconfig-script"),
        &sub("client-reconfig-script"),
    );
    out.plain(&m.auth_pass, &path("auth-pass"), &sub("auth-pass"));
    out.plain(&m.auth_user, &path("auth-user"), &sub("auth-user"));
    out.millis(
        &m.master_reboot_down_after_period,
        &path("master-reboot-down-after-period"),
        &sub("master-reboot-down-after-period"),
        0,
    )?;
    out.millis(&m.fence, &path("fence"), &sub("fence"), 0)?;
    for (command, new_name) in m.rename_command.iter().flat_map(|r| &r.0) {
        let args = [command.clone(), new_name.value.clone()];
        out.push(
            new_name,
            &path(&format!("rename-command.{command}")),
            words(&sub("rename-command"), args),
        );
    }
    Ok(())
}

/// `state.masters.<name>`: epochs, known replicas and sentinels.
fn master_state(out: &mut Lowered, name: &str, m: &MasterState) -> Result<(), ConfigError> {
    let path = |field: &str| format!("state.masters.{name}.{field}");
    let sub = |directive: &'static str| ["sentinel", directive, name];
    for (value, field) in [(&m.config_epoch, "config-epoch"), (&m.leader_epoch, "leader-epoch")] {
        if let Some(v) = value {
            parse_epoch(&v.value).map_err(|r| error(v, &path(field), r))?;
            out.push(v, &path(field), words(&sub(field), [v.value.clone()]));
        }
    }
    for (i, replica) in m.known_replicas.iter().flatten().enumerate() {
        let path = path(&format!("known-replicas[{i}]"));
        let (host, port) = split_addr(replica, &path)?;
        out.push(replica, &path, words(&sub("known-replica"), [host, port]));
    }
    for (i, s) in m.known_sentinels.iter().flatten().enumerate() {
        let path = path(&format!("known-sentinels[{i}]"));
        let (host, port) = split_addr(&s.addr, &format!("{path}.addr"))?;
        if s.runid.value.is_empty() {
            return Err(error(
                &s.runid,
                &format!("{path}.runid"),
                "expected a 40-character run id",
            ));
        }
        out.push(
            &s.addr,
            &path,
            words(&sub("known-sentinel"), [host, port, s.runid.value.clone()]),
        );
    }
    Ok(())
}

/// `name` words followed by `values`.
fn words(name: &[&str], values: impl IntoIterator<Item = String>) -> Vec<String> {
    name.iter().map(|w| w.to_string()).chain(values).collect()
}

/// The error for `value` at `path`.
fn error<T>(value: &Spanned<T>, path: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::yaml(value.referenced.line() as usize, path, reason)
}

/// A YAML boolean: `true`/`false`, or redis's `yes`/`no`.
fn parse_bool(v: &Text, path: &str) -> Result<bool, ConfigError> {
    match v.value.to_ascii_lowercase().as_str() {
        "true" | "yes" => Ok(true),
        "false" | "no" => Ok(false),
        _ => Err(error(v, path, format!("expected true or false, got '{}'", v.value))),
    }
}

/// A duration in milliseconds: `5s`, `500ms`, `1m 30s`, or a plain integer
/// of milliseconds.
fn parse_millis(v: &Text, path: &str) -> Result<u64, ConfigError> {
    if let Some(ms) = parse_u64(&v.value) {
        return Ok(ms);
    }
    humantime::parse_duration(&v.value)
        .ok()
        .and_then(|d: Duration| u64::try_from(d.as_millis()).ok())
        .ok_or_else(|| error(v, path, format!("invalid duration '{}'", v.value)))
}

/// `host:port` (`[::1]:6380` for IPv6) → host and port, the port checked.
fn split_addr(v: &Text, path: &str) -> Result<(String, String), ConfigError> {
    let bad = || error(v, path, format!("expected host:port, got '{}'", v.value));
    let (host, port) = v.value.rsplit_once(':').ok_or_else(bad)?;
    let host = match host.strip_prefix('[') {
        Some(inner) => inner.strip_suffix(']').ok_or_else(bad)?,
        None if host.contains(':') => return Err(bad()),
        None => host,
    };
    parse_port(port).map_err(|r| error(v, path, r))?;
    Ok((host.to_string(), port.to_string()))
}
