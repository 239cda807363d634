//! SENTINEL and ROLE. Queries are answered from the published view; every
//! subcommand that changes state, or needs more than the view, goes to the
//! core through the actor.

use bytes::Bytes;

use super::{Outcome, Session, text};
use crate::core::{
    AdminCommand, InstanceView, MasterView, Millis, ReplicaView, SentinelView, has_control,
};
use crate::errors;
use crate::resp::Frame;
use crate::server::Shared;

/// `ROLE`: `["sentinel", [master names]]`.
pub fn role(shared: &Shared) -> Frame {
    let view = shared.view.load();
    let names = view.masters.iter().map(|m| Frame::bulk(&m.instance.name)).collect();
    Frame::Array(vec![Frame::bulk("sentinel"), Frame::Array(names)])
}

/// `SENTINEL <subcommand> ...` (arity already checked by the table).
pub async fn sentinel(_session: &Session, shared: &Shared, mut args: Vec<Bytes>) -> Frame {
    if let Some(old) = canonical(&args[1]) {
        args[1] = Bytes::from_static(old.as_bytes());
    }
    let view = shared.view.load();
    // Read only by the answers that show ages: the clock read was a tenth
    // of GET-MASTER-ADDR-BY-NAME's own cost.
    let now = std::cell::LazyCell::new(|| shared.clock.now());
    // Lowered on the stack: every subcommand name is short.
    let mut small = [0u8; 32];
    let long;
    let sub: &[u8] = match small.get_mut(..args[1].len()) {
        Some(room) => {
            room.copy_from_slice(&args[1]);
            room.make_ascii_lowercase();
            room
        }
        None => {
            long = args[1].to_ascii_lowercase();
            &long
        }
    };
    let master = || match std::str::from_utf8(&args[2]) {
        Ok(name) => view.master(name),
        Err(_) => view.master(&text(&args[2])),
    };
    match sub {
        b"masters" => Frame::Array(view.masters.iter().map(|m| master_map(m, *now)).collect()),
        b"master" => master().map_or_else(no_such_master, |m| master_map(m, *now)),
        b"replicas" | b"slaves" => master().map_or_else(no_such_master, |m| {
            Frame::Array(
                m.replicas.iter().filter(|r| r.announced).map(|r| replica_map(r, *now)).collect(),
            )
        }),
        b"sentinels" => master().map_or_else(no_such_master, |m| {
            Frame::Array(m.sentinels.iter().map(|s| sentinel_map(s, *now)).collect())
        }),
        b"get-master-addr-by-name" => match master() {
            Some(m) => Frame::Array(vec![
                Frame::bulk(m.client_addr.host.as_str()),
                num(m.client_addr.port),
            ]),
            None => Frame::NullArray,
        },
        b"myid" => Frame::bulk(view.myid.as_str()),
        b"info-cache" => info_cache(&args, shared, *now),
        b"help" => help(),
        _ => {
            // Checked before the parse, on the raw arguments, as it always
            // was (see `unusable_script`).
            if sub == b"set"
                && !view.deny_scripts_reconfig
                && let Some(error) = unusable_script(&args)
            {
                return Frame::error(error);
            }
            let command = match AdminCommand::parse_sentinel(&args) {
                Ok(command) => command,
                Err(refusal) => return refusal,
            };
            if let AdminCommand::Monitor { host, .. } = &command
                && view.resolve_hostnames
                && !resolves(host).await
            {
                return Frame::error(errors::INVALID_ADDRESS);
            }
            shared.ask_core(command).await
        }
    }
}

/// A SENTINEL subcommand that [`super::defers`], handed to the core: its
/// reply comes later, or a refusal now.
pub async fn hand_over(shared: &Shared, args: &[Bytes]) -> Outcome {
    match AdminCommand::parse_sentinel(args) {
        Ok(command) => match shared.hand_to_core(command).await {
            Ok(reply) => Outcome::Deferred(reply),
            Err(refusal) => refusal.into(),
        },
        Err(refusal) => refusal.into(),
    }
}

/// `SENTINEL MONITOR <name> <host> <port> <quorum>` with `resolve-hostnames
/// yes`: false when the host is a name that does not resolve now, which
/// redis-sentinel refuses (after the quorum and port checks, which the
/// parser made). Looked up here because the core never resolves a name; the
/// address found is not kept (links resolve again at every connection). An
/// empty host is the core's to refuse.
async fn resolves(host: &str) -> bool {
    if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    tokio::net::lookup_host((host, 0)).await.is_ok_and(|mut ips| ips.next().is_some())
}

/// `SENTINEL SET <master> [<option> <value> ...]`: the error for the first
/// script path that is not an executable file, as redis-sentinel answers
/// (an empty path unsets the script). Checked here because the core never
/// touches the file system; nothing is applied when one is refused. It walks
/// every option pair, before the master's name is checked and before any
/// option is refused, so it reads the raw arguments rather than the parsed
/// command (which stops at the first refusal).
fn unusable_script(args: &[Bytes]) -> Option<&'static str> {
    let mut i = 3;
    while i + 1 < args.len() {
        let option = args[i].to_ascii_lowercase();
        let error = match option.as_slice() {
            b"notification-script" => errors::NOTIFICATION_SCRIPT_UNUSABLE,
            b"client-reconfig-script" => errors::RECONFIG_SCRIPT_UNUSABLE,
            b"rename-command" => {
                i += 3;
                continue;
            }
            _ => {
                i += 2;
                continue;
            }
        };
        // A path with control characters is the core's to refuse.
        let path = text(&args[i + 1]);
        if !path.is_empty() && !has_control(&args[i + 1]) && !crate::scripts::is_executable(&path) {
            return Some(error);
        }
        i += 2;
    }
    None
}

/// The redis-sentinel name of a Valkey 8 subcommand name (spec §3.4), which
/// answers exactly as the old name does.
fn canonical(sub: &[u8]) -> Option<&'static str> {
    // Compared in place: this runs for every SENTINEL command.
    let prefix = "sentinel|".len();
    crate::commands::ALIASES
        .iter()
        .find(|(alias, _)| alias.as_bytes()[prefix..].eq_ignore_ascii_case(sub))
        .map(|(_, name)| &name[prefix..])
}

fn no_such_master() -> Frame {
    Frame::error(errors::NO_SUCH_MASTER)
}

/// Milliseconds since `t`, as redis-sentinel's bulk-string numbers.
fn ago(now: Millis, t: Millis) -> Frame {
    num((now - t).as_u64())
}

/// A number as a bulk string (formatted on the stack: the instance maps
/// hold a dozen).
fn num(n: impl TryInto<i64>) -> Frame {
    Frame::BulkNumber(n.try_into().unwrap_or(i64::MAX))
}

/// The fields every instance map starts with (spec §3.1, rows 1–7), up to
/// where the failover state goes.
fn head(i: &InstanceView) -> Vec<(&'static str, Frame)> {
    let mut f = Vec::with_capacity(MAP_FIELDS);
    f.extend([
        ("name", Frame::bulk(&i.name)),
        ("ip", Frame::bulk(i.addr.host.as_str())),
        ("port", num(i.addr.port)),
        ("runid", Frame::bulk(i.runid.as_ref().map(|r| r.as_str()).unwrap_or(""))),
        ("flags", Frame::bulk(i.flags.join(","))),
        ("link-pending-commands", num(i.link_pending_commands)),
        ("link-refcount", num(i.link_refcount)),
    ]);
    f
}

/// Room for the fields of any instance map (a master's has up to 24).
const MAP_FIELDS: usize = 32;

/// The ping fields and SDOWN time (rows 9–12, 14).
fn pings(i: &InstanceView, now: Millis, f: &mut Vec<(&'static str, Frame)>) {
    f.push(("last-ping-sent", i.ping_pending_since.map_or_else(|| num(0), |t| ago(now, t))));
    f.push(("last-ok-ping-reply", ago(now, i.last_ok_ping_reply)));
    f.push(("last-ping-reply", ago(now, i.last_ping_reply)));
}

fn info_fields(i: &InstanceView, now: Millis, f: &mut Vec<(&'static str, Frame)>) {
    f.push(("info-refresh", i.info_refresh.map_or_else(|| num(0), |t| ago(now, t))));
    f.push(("role-reported", Frame::bulk(i.role_reported)));
    f.push(("role-reported-time", ago(now, i.role_reported_time)));
}

fn master_map(m: &MasterView, now: Millis) -> Frame {
    let i = &m.instance;
    let mut f = head(i);
    if let Some(state) = m.failover_state {
        f.push(("failover-state", Frame::bulk(state)));
    }
    pings(i, now, &mut f);
    if let Some(t) = i.sdown_since {
        f.push(("s-down-time", ago(now, t)));
    }
    if let Some(t) = m.odown_since {
        f.push(("o-down-time", ago(now, t)));
    }
    f.push(("down-after-milliseconds", num(i.down_after_ms)));
    info_fields(i, now, &mut f);
    f.push(("config-epoch", num(m.config_epoch.0)));
    f.push(("num-slaves", num(m.replicas.len())));
    f.push(("num-other-sentinels", num(m.sentinels.len())));
    f.push(("quorum", num(m.quorum)));
    f.push(("failover-timeout", num(m.failover_timeout_ms)));
    f.push(("parallel-syncs", num(m.parallel_syncs)));
    if let Some(s) = &m.notification_script {
        f.push(("notification-script", Frame::bulk(s)));
    }
    if let Some(s) = &m.client_reconfig_script {
        f.push(("client-reconfig-script", Frame::bulk(s)));
    }
    Frame::map(f)
}

fn replica_map(r: &ReplicaView, now: Millis) -> Frame {
    let i = &r.instance;
    let mut f = head(i);
    pings(i, now, &mut f);
    if let Some(t) = i.sdown_since {
        f.push(("s-down-time", ago(now, t)));
    }
    f.push(("down-after-milliseconds", num(i.down_after_ms)));
    info_fields(i, now, &mut f);
    f.push(("master-link-down-time", num(r.master_link_down_ms)));
    f.push(("master-link-status", Frame::bulk(if r.master_link_up { "ok" } else { "err" })));
    let (host, port) = match &r.master_addr {
        Some(a) => (a.host.to_string(), a.port.to_string()),
        None => ("?".to_string(), "0".to_string()),
    };
    f.push(("master-host", Frame::bulk(host)));
    f.push(("master-port", Frame::bulk(port)));
    f.push(("slave-priority", num(r.priority)));
    f.push(("slave-repl-offset", num(r.repl_offset)));
    f.push(("replica-announced", num(u8::from(r.announced))));
    Frame::map(f)
}

fn sentinel_map(s: &SentinelView, now: Millis) -> Frame {
    let i = &s.instance;
    let mut f = head(i);
    pings(i, now, &mut f);
    if let Some(t) = i.sdown_since {
        f.push(("s-down-time", ago(now, t)));
    }
    f.push(("down-after-milliseconds", num(i.down_after_ms)));
    f.push(("last-hello-message", s.last_hello.map_or_else(|| num(0), |t| ago(now, t))));
    let (leader, epoch) = match &s.voted_leader {
        Some((id, e)) => (id.as_str().to_string(), *e),
        None => ("?".to_string(), crate::ids::Epoch::ZERO),
    };
    f.push(("voted-leader", Frame::bulk(leader)));
    f.push(("voted-leader-epoch", num(epoch.0)));
    Frame::map(f)
}

/// `SENTINEL INFO-CACHE name...`: per master, `[age, INFO text]` pairs for
/// the master and then each replica.
fn info_cache(args: &[Bytes], shared: &Shared, now: Millis) -> Frame {
    let view = shared.view.load();
    let mut out = Vec::new();
    for name in &args[2..] {
        let Some(m) = view.master(&text(name)) else { continue };
        let entry = |i: &InstanceView| {
            Frame::Array(vec![
                Frame::Integer(i.info_refresh.map_or(0, |t| (now - t).as_u64() as i64)),
                i.info.as_ref().map_or(Frame::Null, |t| Frame::bulk(t.to_string())),
            ])
        };
        let mut entries = vec![entry(&m.instance)];
        entries.extend(m.replicas.iter().map(|r| entry(&r.instance)));
        out.push(Frame::bulk(&m.instance.name));
        out.push(Frame::Array(entries));
    }
    Frame::Array(out)
}

fn help() -> Frame {
    let lines = [
        "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CKQUORUM <master-name>",
        "    Check if the current Sentinel configuration is able to reach the quorum",
        "    needed to failover a master and the majority needed to authorize the",
        "    failover.",
        "CONFIG SET param value [param value ...]",
        "    Set a global Sentinel configuration parameter.",
        "CONFIG GET <param> [param param param ...]",
        "    Get global Sentinel configuration parameter.",
        "DEBUG [<param> <value> ...]",
        "    Show a list of configurable time parameters and their values (milliseconds).",
        "    Or update current configurable parameters values (one or more).",
        "GET-MASTER-ADDR-BY-NAME <master-name>",
        "    Return the ip and port number of the master with that name.",
        "FAILOVER <master-name>",
        "    Manually failover a master node without asking for agreement from other",
        "    Sentinels",
        "FLUSHCONFIG",
        "    Force Sentinel to rewrite its configuration on disk, including the current",
        "    Sentinel state.",
        "INFO-CACHE <master-name>",
        "    Return last known INFO output from each monitored instance.",
        "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
        "    Check if the master specified by ip:port is down from current Sentinel's",
        "    point of view.",
        "MASTER <master-name>",
        "    Show the state and info of the specified master.",
        "MASTERS",
        "    Show a list of monitored masters and their state.",
        "MONITOR <name> <ip> <port> <quorum>",
        "    Start monitoring a new master with the specified name, ip, port and quorum.",
        "MYID",
        "    Return the ID of the Sentinel instance.",
        "PENDING-SCRIPTS",
        "    Get pending scripts information.",
        "REMOVE <master-name>",
        "    Remove a master from Sentinel's monitoring.",
        "REPLICAS <master-name>",
        "    Show a list of replicas for this master and their state.",
        "RESET <pattern>",
        "    Reset masters for specific master name matching this pattern.",
        "SENTINELS <master-name>",
        "    Show a list of Sentinel instances for this master and their state.",
        "SET <master-name> <option> <value> [<option> <value> ...]",
        "    Set configuration parameters for certain masters.",
        "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
        "    Simulate a Sentinel crash.",
        "HELP",
        "    Prints this help.",
    ];
    Frame::Array(lines.iter().map(|l| Frame::Simple((*l).into())).collect())
}
