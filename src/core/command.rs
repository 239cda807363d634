//! The client commands the core answers, parsed once into [`AdminCommand`].
//!
//! The server parses a command line here after its table checked the
//! command, the arity and the user's rights, and sends the typed value to
//! the actor ([`Input::Admin`](super::Input::Admin)); the golden scripts and
//! the simulation parse the same way. Every check that needs only the
//! arguments is made here, in redis-sentinel's order, with its error text
//! ([`crate::errors`]); checks that need the sentinel's state (is the master
//! known, may scripts be reconfigured) stay in the core, which is why some
//! variants carry the error that ends their argument list instead of failing
//! at once: redis-sentinel says "No such master" before it looks at a bad
//! option, and keeps the options it applied before one it refuses.
//!
//! Read-only subcommands (MASTERS, MASTER, REPLICAS, SENTINELS,
//! GET-MASTER-ADDR-BY-NAME, MYID, INFO-CACHE, HELP) are not here: the server
//! answers them from the [`View`](super::View).

use bytes::Bytes;

use super::hello::HELLO_CHANNEL;
use super::timer::Periods;
use crate::acl::hash_password;
use crate::commands;
use crate::config::LogLevel;
use crate::errors;
use crate::resp::Frame;

/// `SIMULATE-FAILURE` flag: exit right after `+elected-leader`.
pub const SIMFAILURE_CRASH_AFTER_ELECTION: u32 = 1;
/// `SIMULATE-FAILURE` flag: exit right after `+promoted-slave`.
pub const SIMFAILURE_CRASH_AFTER_PROMOTION: u32 = 2;

/// `SENTINEL CONFIG` parameters, in the order GET lists them
/// (`loglevel` is Redis 7.2's, `hello-guard` ours).
pub const CONFIG_PARAMS: [&str; 8] = [
    "resolve-hostnames",
    "announce-hostnames",
    "announce-ip",
    "announce-port",
    "sentinel-user",
    "sentinel-pass",
    "loglevel",
    "hello-guard",
];

/// A client command the core answers, its arguments checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminCommand {
    /// `PUBLISH __sentinel__:hello <payload>`: a peer's hello.
    Hello {
        /// The hello, unparsed (a malformed one is answered 1 and dropped).
        payload: Bytes,
    },
    /// `ACL SETUSER <name> <rule> ...`.
    AclSetUser {
        /// The user.
        name: String,
        /// The rules as text; a password that is not UTF-8 became its hash.
        rules: Vec<String>,
    },
    /// `ACL DELUSER <name> ...`.
    AclDelUser {
        /// The users.
        names: Vec<String>,
    },
    /// `SENTINEL IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>`.
    IsMasterDownByAddr {
        /// The master's IP (or host name).
        ip: String,
        /// Its port, as given (the master is looked up by it).
        port: i64,
        /// The asker's current epoch, as given (a negative one is no vote
        /// request).
        epoch: i64,
        /// The asker's run id, or `*` for no vote.
        runid: String,
    },
    /// `SENTINEL CKQUORUM <name>`.
    CkQuorum {
        /// The master.
        name: String,
    },
    /// `SENTINEL RESET <pattern>`.
    Reset {
        /// A case-sensitive glob over master names.
        pattern: String,
    },
    /// `SENTINEL MONITOR <name> <host> <port> <quorum>`.
    Monitor {
        /// The new master's name (no control characters).
        name: String,
        /// Its host: the core checks it against `resolve-hostnames`.
        host: String,
        /// Its port as given: the core checks the range after the host, as
        /// redis-sentinel does.
        port: i64,
        /// The quorum, at least 1.
        quorum: u32,
    },
    /// `SENTINEL REMOVE <name>`.
    Remove {
        /// The master.
        name: String,
    },
    /// `SENTINEL SET <name> <option> <value> ...`.
    Set {
        /// The master.
        name: String,
        /// The options up to the first one that is refused, in order.
        options: Vec<SetOption>,
        /// The refusal that ends the list, if one does: answered once the
        /// options before it are applied.
        error: Option<String>,
    },
    /// `SENTINEL CONFIG GET <pattern> ...`.
    ConfigGet {
        /// Globs over [`CONFIG_PARAMS`].
        patterns: Vec<String>,
    },
    /// `SENTINEL CONFIG SET <param> <value> ...`: every pair checked, so
    /// that all or none apply.
    ConfigSet {
        /// The parameters (names from [`CONFIG_PARAMS`]) and their values.
        params: Vec<(&'static str, ConfigValue)>,
    },
    /// `SENTINEL DEBUG [<period> <value> ...]`: no pairs shows the periods.
    Debug {
        /// The periods to set, left to right (names from
        /// [`Periods::NAMES`]).
        set: Vec<(&'static str, u64)>,
        /// The refusal that ends the list, if one does (the periods before
        /// it are set).
        error: Option<String>,
    },
    /// `SENTINEL SIMULATE-FAILURE <mode> ...`.
    SimulateFailure {
        /// The flags to set (the ones before a `help` or an unknown mode).
        flags: u32,
        /// What to answer.
        reply: SimulateReply,
    },
    /// `SENTINEL PENDING-SCRIPTS`.
    PendingScripts,
    /// `SENTINEL FLUSHCONFIG`.
    FlushConfig,
    /// `SENTINEL FAILOVER <name> [COORDINATED]`.
    Failover {
        /// The master.
        name: String,
        /// Ours: a hand-over with `FAILOVER TO` instead of a forced promotion.
        coordinated: bool,
    },
}

/// What `SIMULATE-FAILURE` answers once its flags are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimulateReply {
    /// `+OK`.
    Ok,
    /// The list of modes (`help`).
    Help,
    /// An unknown mode.
    Unknown,
}

/// One `SENTINEL SET` option with its checked value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetOption {
    /// The option's name as the client wrote it (the `+set` event shows it).
    pub given: String,
    /// The value the `+set` event shows.
    pub shown: String,
    /// The change.
    pub change: SetChange,
}

/// What a `SENTINEL SET` option changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetChange {
    /// `down-after-milliseconds`.
    DownAfter(u64),
    /// `failover-timeout`.
    FailoverTimeout(u64),
    /// `parallel-syncs`.
    ParallelSyncs(u32),
    /// `quorum`.
    Quorum(u32),
    /// `master-reboot-down-after-period` (0 = off).
    RebootDownAfter(u64),
    /// `fence` (rsentinel only, 0 = off; `fence.rs`).
    Fence(u64),
    /// `notification-script`; `None` unsets.
    NotificationScript(Option<String>),
    /// `client-reconfig-script`; `None` unsets.
    ClientReconfigScript(Option<String>),
    /// `auth-pass`, as bytes (need not be UTF-8); `None` unsets.
    AuthPass(Option<Bytes>),
    /// `auth-user`; `None` unsets.
    AuthUser(Option<Bytes>),
    /// `rename-command <from> <to>`: `from` in lower case.
    RenameCommand {
        /// The command's name in Redis, lower case.
        from: String,
        /// The name to call it by.
        to: String,
    },
}

impl SetChange {
    /// Whether the master's links must reconnect (new credentials).
    pub fn drops_links(&self) -> bool {
        matches!(self, SetChange::AuthPass(_) | SetChange::AuthUser(_))
    }
}

/// A checked `SENTINEL CONFIG SET` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigValue {
    /// `resolve-hostnames`, `announce-hostnames`, `hello-guard`.
    YesNo(bool),
    /// `announce-port`.
    Port(u16),
    /// `loglevel`.
    LogLevel(LogLevel),
    /// `announce-ip`; empty unsets.
    Text(Option<String>),
    /// `sentinel-user`, `sentinel-pass`, as bytes; empty unsets.
    Secret(Option<Bytes>),
}

impl AdminCommand {
    /// Parses a command line whose first argument names the command
    /// (`SENTINEL`, `PUBLISH` or `ACL`), for callers without a command table
    /// (golden scripts, simulation). An error is the reply.
    pub fn parse(args: &[Bytes]) -> Result<AdminCommand, Frame> {
        match args.first().map(|a| a.to_ascii_lowercase()).as_deref() {
            Some(b"sentinel") => AdminCommand::parse_sentinel(args),
            Some(b"publish") => AdminCommand::parse_publish(args),
            Some(b"acl") => AdminCommand::parse_acl(args),
            _ if args.is_empty() => Err(errors::unknown_command(&[Bytes::new()])),
            _ => Err(errors::unknown_command(args)),
        }
    }

    /// `PUBLISH <channel> <message>` (`args[0]` is the command, whatever it
    /// is called): only hellos are accepted.
    pub fn parse_publish(args: &[Bytes]) -> Result<AdminCommand, Frame> {
        check_arity("publish", None, args)?;
        if args[1].as_ref() != HELLO_CHANNEL.as_bytes() {
            return Err(Frame::error(errors::ONLY_HELLO));
        }
        Ok(AdminCommand::Hello { payload: args[2].clone() })
    }

    /// `ACL SETUSER` and `ACL DELUSER` (the other subcommands only read and
    /// are the server's).
    pub fn parse_acl(args: &[Bytes]) -> Result<AdminCommand, Frame> {
        let sub = args.get(1).map(|a| a.to_ascii_lowercase()).unwrap_or_default();
        match sub.as_slice() {
            b"setuser" | b"deluser" => check_arity("acl", Some(&args[1]), args)?,
            _ => return Err(errors::unknown_subcommand(args.get(1).map_or(b"", |a| a), "acl")),
        }
        if sub == b"setuser" {
            let rules = args[3..].iter().map(rule).collect();
            Ok(AdminCommand::AclSetUser { name: text(&args[2]), rules })
        } else {
            Ok(AdminCommand::AclDelUser { names: args[2..].iter().map(text).collect() })
        }
    }

    /// `SENTINEL <subcommand> ...`, for the subcommands the core answers.
    /// `args[1]` is redis-sentinel's name of the subcommand (the server maps
    /// Valkey's names first).
    pub fn parse_sentinel(args: &[Bytes]) -> Result<AdminCommand, Frame> {
        let Some(sub) = args.get(1) else { return Err(errors::wrong_arity("sentinel")) };
        let lower = String::from_utf8_lossy(sub).to_ascii_lowercase();
        let known = [
            "is-master-down-by-addr",
            "ckquorum",
            "reset",
            "monitor",
            "remove",
            "set",
            "config",
            "debug",
            "simulate-failure",
            "pending-scripts",
            "flushconfig",
            "failover",
        ];
        if !known.contains(&lower.as_str()) {
            return Err(errors::unknown_subcommand(sub, "sentinel"));
        }
        check_arity("sentinel", Some(sub), args)?;
        let name = || text(&args[2]);
        Ok(match lower.as_str() {
            "is-master-down-by-addr" => {
                let number = |i: usize| text(&args[i]).parse::<i64>().ok();
                let (Some(port), Some(epoch)) = (number(3), number(4)) else {
                    return Err(Frame::error(errors::NOT_AN_INTEGER));
                };
                AdminCommand::IsMasterDownByAddr {
                    ip: text(&args[2]),
                    port,
                    epoch,
                    runid: text(&args[5]),
                }
            }
            "ckquorum" => AdminCommand::CkQuorum { name: name() },
            "reset" => AdminCommand::Reset { pattern: name() },
            "monitor" => parse_monitor(args)?,
            "remove" => AdminCommand::Remove { name: name() },
            "set" => parse_set(args),
            "config" => parse_config(args)?,
            "debug" => parse_debug(args),
            "simulate-failure" => parse_simulate_failure(args),
            "pending-scripts" => AdminCommand::PendingScripts,
            "flushconfig" => AdminCommand::FlushConfig,
            _ => match args.len() {
                3 => AdminCommand::Failover { name: name(), coordinated: false },
                4 if args[3].eq_ignore_ascii_case(b"coordinated") => {
                    AdminCommand::Failover { name: name(), coordinated: true }
                }
                _ => return Err(errors::wrong_arity("sentinel|failover")),
            },
        })
    }
}

/// An argument as text (lossy: arguments that matter are ASCII).
fn text(b: &Bytes) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Whether `b` holds an ASCII control character (0x00-0x1f, 0x7f): Redis 8
/// refuses them in names and paths that end up in the config file.
pub fn has_control(b: &[u8]) -> bool {
    b.iter().any(|&c| c < 0x20 || c == 0x7f)
}

/// The arity check of redis-sentinel's command table, for `command` or its
/// subcommand `sub`.
fn check_arity(command: &str, sub: Option<&Bytes>, args: &[Bytes]) -> Result<(), Frame> {
    let spec = commands::lookup(command.as_bytes()).expect("a command of the table");
    let (ok, full) = match sub.and_then(|s| spec.subcommand(s)) {
        Some(s) => (s.arity_ok(args.len()), format!("{command}|{}", s.name)),
        None => (spec.arity_ok(args.len()), command.to_string()),
    };
    if ok { Ok(()) } else { Err(errors::wrong_arity(&full)) }
}

/// One `ACL SETUSER` rule as text. A password that is not UTF-8 (`>` or
/// `<` followed by raw bytes) becomes its hash (`#` / `!`), so that no
/// byte is lost.
fn rule(raw: &Bytes) -> String {
    match std::str::from_utf8(raw) {
        Ok(text) => text.to_string(),
        Err(_) => match raw.first() {
            Some(b'>') => format!("#{}", hash_password(&raw[1..])),
            Some(b'<') => format!("!{}", hash_password(&raw[1..])),
            _ => String::from_utf8_lossy(raw).into_owned(),
        },
    }
}

/// `MONITOR`'s checks that need no state, in redis-sentinel's order (the
/// control-character check is Redis 8's, and comes first there).
fn parse_monitor(args: &[Bytes]) -> Result<AdminCommand, Frame> {
    if has_control(&args[2]) {
        return Err(Frame::error(errors::MASTER_NAME_CONTROL));
    }
    let Ok(quorum) = text(&args[5]).parse::<i64>() else {
        return Err(Frame::error(errors::INVALID_QUORUM));
    };
    let Ok(port) = text(&args[4]).parse::<i64>() else {
        return Err(Frame::error(errors::INVALID_PORT));
    };
    if quorum <= 0 {
        return Err(Frame::error(errors::QUORUM_TOO_SMALL));
    }
    let quorum = u32::try_from(quorum).unwrap_or(u32::MAX);
    Ok(AdminCommand::Monitor { name: text(&args[2]), host: text(&args[3]), port, quorum })
}

/// `yes`/`no`, any case.
fn yes_no(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// A positive integer (`> 0`), or `>= 0` when `zero_ok`.
fn millis(value: &str, zero_ok: bool) -> Option<u64> {
    let v: i64 = value.parse().ok()?;
    (v > 0 || (zero_ok && v == 0)).then_some(v as u64)
}

/// `SET <name> <option> <value> ...`: options left to right until one is
/// refused.
fn parse_set(args: &[Bytes]) -> AdminCommand {
    let (mut options, mut error) = (Vec::new(), None);
    let mut j = 3;
    while j < args.len() {
        match set_option(args, j) {
            Ok((option, used)) => {
                options.push(option);
                j += used + 1;
            }
            Err(text) => {
                error = Some(text);
                break;
            }
        }
    }
    AdminCommand::Set { name: text(&args[2]), options, error }
}

/// The option at `args[j]` and how many values it took, or its refusal.
fn set_option(args: &[Bytes], j: usize) -> Result<(SetOption, usize), String> {
    let given = text(&args[j]);
    let option = given.to_ascii_lowercase();
    let more = args.len() - 1 - j;
    if more == 0 {
        return Err(errors::set_unknown_option(&given));
    }
    let raw = &args[j + 1];
    let value = text(raw);
    let bad = |i: usize| errors::set_invalid_argument(&text(&args[i]), &given);
    let (change, used) = match option.as_str() {
        "down-after-milliseconds" | "failover-timeout" | "parallel-syncs" | "quorum" => {
            let v = millis(&value, false).ok_or_else(|| bad(j + 1))?;
            let small = v.min(u32::MAX as u64) as u32;
            let change = match option.as_str() {
                "down-after-milliseconds" => SetChange::DownAfter(v),
                "failover-timeout" => SetChange::FailoverTimeout(v),
                "parallel-syncs" => SetChange::ParallelSyncs(small),
                _ => SetChange::Quorum(small),
            };
            (change, 1)
        }
        "master-reboot-down-after-period" | "primary-reboot-down-after-period" => {
            (SetChange::RebootDownAfter(millis(&value, true).ok_or_else(|| bad(j + 1))?), 1)
        }
        "fence" => (SetChange::Fence(millis(&value, true).ok_or_else(|| bad(j + 1))?), 1),
        "notification-script" | "client-reconfig-script" => {
            if has_control(raw) {
                return Err(errors::set_control(&option));
            }
            let path = (!value.is_empty()).then(|| value.clone());
            let change = if option == "notification-script" {
                SetChange::NotificationScript(path)
            } else {
                SetChange::ClientReconfigScript(path)
            };
            (change, 1)
        }
        "auth-pass" => {
            let change = SetChange::AuthPass((!raw.is_empty()).then(|| raw.clone()));
            return Ok((SetOption { given, shown: "******".into(), change }, 1));
        }
        "auth-user" => (SetChange::AuthUser((!raw.is_empty()).then(|| raw.clone())), 1),
        "rename-command" if more > 1 => {
            if has_control(raw) || has_control(&args[j + 2]) {
                return Err(errors::set_control(&option));
            }
            let to = text(&args[j + 2]);
            if value.is_empty() || to.is_empty() {
                return Err(bad(if to.is_empty() { j + 2 } else { j + 1 }));
            }
            let shown = format!("{value} {to}");
            let change = SetChange::RenameCommand { from: value.to_ascii_lowercase(), to };
            return Ok((SetOption { given, shown, change }, 2));
        }
        _ => return Err(errors::set_unknown_option(&given)),
    };
    Ok((SetOption { given, shown: value, change }, used))
}

/// `CONFIG GET <pattern> ...` / `SET <param> <value> ...` (Redis 7.2's
/// forms; the one-pair forms are redis-sentinel 7.0's).
fn parse_config(args: &[Bytes]) -> Result<AdminCommand, Frame> {
    let action = args[2].to_ascii_lowercase();
    match action.as_slice() {
        b"get" if args.len() >= 4 => {
            Ok(AdminCommand::ConfigGet { patterns: args[3..].iter().map(text).collect() })
        }
        b"set" if args.len() >= 5 => config_set(&args[3..]).map_err(Frame::error),
        _ => Err(Frame::error(errors::CONFIG_USAGE)),
    }
}

/// `CONFIG SET`'s pairs, every one checked before any applies.
fn config_set(pairs: &[Bytes]) -> Result<AdminCommand, String> {
    let mut params: Vec<(&'static str, ConfigValue)> = Vec::new();
    for (i, param) in pairs.iter().enumerate().step_by(2) {
        let param = String::from_utf8_lossy(param);
        let Some(name) = CONFIG_PARAMS.iter().find(|p| p.eq_ignore_ascii_case(&param)) else {
            return Err(errors::config_invalid_param(&param));
        };
        if params.iter().any(|(n, _)| n == name) {
            return Err(errors::config_duplicate(&param));
        }
        let Some(value) = pairs.get(i + 1) else {
            return Err(errors::config_missing_value(&param));
        };
        if *name == "announce-ip" && has_control(value) {
            return Err(errors::config_control(name));
        }
        let Some(parsed) = config_value(name, value) else {
            return Err(errors::config_invalid_value(&String::from_utf8_lossy(value), &param));
        };
        params.push((name, parsed));
    }
    Ok(AdminCommand::ConfigSet { params })
}

/// `raw` checked for parameter `name` (one of [`CONFIG_PARAMS`]).
fn config_value(name: &str, raw: &Bytes) -> Option<ConfigValue> {
    let value = &String::from_utf8_lossy(raw);
    Some(match name {
        "resolve-hostnames" | "announce-hostnames" | "hello-guard" => {
            ConfigValue::YesNo(yes_no(value)?)
        }
        "announce-port" => ConfigValue::Port(value.parse().ok()?),
        "loglevel" => ConfigValue::LogLevel(LogLevel::parse(value)?),
        "announce-ip" => ConfigValue::Text((!value.is_empty()).then(|| value.to_string())),
        _ => ConfigValue::Secret((!raw.is_empty()).then(|| raw.clone())),
    })
}

/// `DEBUG [<period> <value> ...]`, left to right until one is refused.
fn parse_debug(args: &[Bytes]) -> AdminCommand {
    let (mut set, mut error) = (Vec::new(), None);
    let mut j = 2;
    while j < args.len() {
        let option = text(&args[j]);
        let name = Periods::NAMES.iter().find(|n| n.eq_ignore_ascii_case(&option));
        let Some(name) = name.filter(|_| j + 1 < args.len()) else {
            error = Some(errors::debug_unknown_option(&option));
            break;
        };
        let value = text(&args[j + 1]);
        let Some(v) = millis(&value, false) else {
            error = Some(errors::debug_invalid_argument(&value, &option));
            break;
        };
        set.push((*name, v));
        j += 2;
    }
    AdminCommand::Debug { set, error }
}

/// `SIMULATE-FAILURE <mode> ...`: modes left to right; `help` or an unknown
/// mode ends the list.
fn parse_simulate_failure(args: &[Bytes]) -> AdminCommand {
    let mut flags = 0;
    for mode in &args[2..] {
        let reply = match mode.to_ascii_lowercase().as_slice() {
            b"crash-after-election" => {
                flags |= SIMFAILURE_CRASH_AFTER_ELECTION;
                continue;
            }
            b"crash-after-promotion" => {
                flags |= SIMFAILURE_CRASH_AFTER_PROMOTION;
                continue;
            }
            b"help" => SimulateReply::Help,
            _ => SimulateReply::Unknown,
        };
        return AdminCommand::SimulateFailure { flags, reply };
    }
    AdminCommand::SimulateFailure { flags, reply: SimulateReply::Ok }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<AdminCommand, Frame> {
        let args: Vec<Bytes> =
            line.split(' ').map(|a| Bytes::copy_from_slice(a.as_bytes())).collect();
        AdminCommand::parse(&args)
    }

    #[test]
    fn monitor_checks_in_redis_order() {
        let err = |line| parse(line).unwrap_err();
        assert_eq!(err("SENTINEL MONITOR m h x y"), Frame::error(errors::INVALID_QUORUM));
        assert_eq!(err("SENTINEL MONITOR m h x 0"), Frame::error(errors::INVALID_PORT));
        assert_eq!(err("SENTINEL MONITOR m h 1 0"), Frame::error(errors::QUORUM_TOO_SMALL));
        assert_eq!(err("SENTINEL MONITOR m h 1"), errors::wrong_arity("sentinel|monitor"));
        let ok = parse("sentinel monitor m h 70000 2").unwrap();
        let want =
            AdminCommand::Monitor { name: "m".into(), host: "h".into(), port: 70000, quorum: 2 };
        assert_eq!(ok, want);
    }

    #[test]
    fn set_keeps_options_before_a_refusal() {
        let Ok(AdminCommand::Set { options, error, .. }) =
            parse("SENTINEL SET m QUORUM 2 rename-command a b parallel-syncs x quorum 3")
        else {
            panic!("a SET")
        };
        assert_eq!(options.len(), 2);
        assert_eq!(options[0].given, "QUORUM");
        assert_eq!(options[1].shown, "a b");
        assert_eq!(
            error.as_deref(),
            Some("ERR Invalid argument 'x' for SENTINEL SET 'parallel-syncs'")
        );
    }

    #[test]
    fn unknown_and_view_subcommands_are_refused() {
        let err = parse("SENTINEL FROB").unwrap_err();
        assert_eq!(err, Frame::error("ERR unknown subcommand 'FROB'. Try SENTINEL HELP."));
        assert!(parse("SENTINEL MASTERS").is_err());
        assert_eq!(parse("PUBLISH other x").unwrap_err(), Frame::error(errors::ONLY_HELLO));
    }

    #[test]
    fn failover_takes_coordinated_only() {
        let coordinated = parse("SENTINEL FAILOVER m COORDINATED").unwrap();
        assert_eq!(coordinated, AdminCommand::Failover { name: "m".into(), coordinated: true });
        let err = parse("SENTINEL FAILOVER m now").unwrap_err();
        assert_eq!(err, errors::wrong_arity("sentinel|failover"));
    }
}
