//! redis-sentinel 7.0's command table: the 15 commands that exist in
//! sentinel mode, their arities, flags and subcommands. `COMMAND` describes
//! exactly this table (tools check `COMMAND COUNT`), and arity errors come
//! from it before any command runs.

/// One command or subcommand.
#[derive(Debug)]
pub struct Spec {
    /// Lowercase name.
    pub name: &'static str,
    /// Redis arity: N = exactly N arguments (name included), -N = at least N.
    pub arity: i32,
    /// Command flags as COMMAND INFO shows them.
    pub flags: &'static [&'static str],
    /// ACL categories.
    pub acl: &'static [&'static str],
    /// Subcommands (empty for plain commands).
    pub subcommands: &'static [Spec],
    /// One-line summary for COMMAND DOCS.
    pub summary: &'static str,
    /// Newer than redis-sentinel 7.0 (clients send it): accepted, but not
    /// described by `COMMAND`, whose output tools compare with 7.0's.
    pub newer: bool,
}

impl Spec {
    /// True when `argc` arguments (name included) fit the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i32;
        if self.arity >= 0 { argc == self.arity } else { argc >= -self.arity }
    }

    /// The subcommand called `name` (case-insensitive).
    pub fn subcommand(&self, name: &[u8]) -> Option<&'static Spec> {
        self.subcommands.iter().find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
    }
}

/// A subcommand; its ACL categories follow from its parent's family and
/// its flags, as in redis-sentinel 7.0 (`ACL CAT` there lists them).
const fn sub(name: &'static str, arity: i32, flags: &'static [&'static str]) -> Spec {
    Spec { name, arity, flags, acl: SLOW, subcommands: &[], summary: "", newer: false }
}

/// A subcommand in `@admin @slow @dangerous`.
const fn admin_sub(name: &'static str, arity: i32, flags: &'static [&'static str]) -> Spec {
    Spec { acl: ADMIN_CATS, ..sub(name, arity, flags) }
}

/// A subcommand in `@slow @connection` (CLIENT and COMMAND subcommands).
const fn conn_sub(name: &'static str, arity: i32, flags: &'static [&'static str]) -> Spec {
    Spec { acl: CONN, ..sub(name, arity, flags) }
}

/// An administrative CLIENT subcommand: `@admin @slow @dangerous @connection`.
const fn admin_conn_sub(name: &'static str, arity: i32, flags: &'static [&'static str]) -> Spec {
    Spec { acl: ADMIN_CONN, ..sub(name, arity, flags) }
}

/// A subcommand newer than 7.0 ([`Spec::newer`]).
const fn newer(spec: Spec) -> Spec {
    Spec { newer: true, ..spec }
}

const SLOW: &[&str] = &["@slow"];
const CONN: &[&str] = &["@slow", "@connection"];
const ADMIN_CATS: &[&str] = &["@admin", "@slow", "@dangerous"];
const ADMIN_CONN: &[&str] = &["@admin", "@slow", "@dangerous", "@connection"];

const ADMIN: &[&str] = &["admin", "sentinel", "only_sentinel"];
const ADMIN_SLOW: &[&str] = &["admin", "noscript", "loading", "stale"];
const STALE: &[&str] = &["noscript", "loading", "stale"];

/// The table, sorted by name.
pub static COMMANDS: &[Spec] = &[
    Spec {
        name: "acl",
        arity: -2,
        flags: &[],
        acl: &["@slow"],
        subcommands: &[
            sub("cat", -2, STALE),
            admin_sub("deluser", -3, ADMIN_SLOW),
            admin_sub("dryrun", -4, ADMIN_SLOW),
            sub("genpass", -2, STALE),
            admin_sub("getuser", 3, ADMIN_SLOW),
            sub("help", 2, &["loading", "stale"]),
            admin_sub("list", 2, ADMIN_SLOW),
            admin_sub("load", 2, ADMIN_SLOW),
            admin_sub("log", -2, ADMIN_SLOW),
            admin_sub("save", 2, ADMIN_SLOW),
            admin_sub("setuser", -3, ADMIN_SLOW),
            admin_sub("users", 2, ADMIN_SLOW),
            sub("whoami", 2, STALE),
        ],
        summary: "A container for Access List Control commands",
        newer: false,
    },
    Spec {
        name: "auth",
        arity: -2,
        flags: &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
        acl: &["@fast", "@connection"],
        subcommands: &[],
        summary: "Authenticate to the server",
        newer: false,
    },
    Spec {
        name: "client",
        arity: -2,
        flags: &[],
        acl: &["@slow"],
        subcommands: &[
            conn_sub("caching", 3, STALE),
            conn_sub("getname", 2, STALE),
            conn_sub("getredir", 2, STALE),
            conn_sub("help", 2, &["loading", "stale"]),
            conn_sub("id", 2, STALE),
            conn_sub("info", 2, STALE),
            admin_conn_sub("kill", -3, ADMIN_SLOW),
            admin_conn_sub("list", -2, ADMIN_SLOW),
            admin_conn_sub("no-evict", 3, ADMIN_SLOW),
            admin_conn_sub("pause", -3, ADMIN_SLOW),
            conn_sub("reply", 3, STALE),
            // Redis 7.2; redis-py and others send it on connect.
            newer(conn_sub("setinfo", 4, STALE)),
            conn_sub("setname", 3, STALE),
            conn_sub("tracking", -3, STALE),
            conn_sub("trackinginfo", 2, STALE),
            admin_conn_sub("unblock", -3, ADMIN_SLOW),
            admin_conn_sub("unpause", 2, ADMIN_SLOW),
        ],
        summary: "A container for client connection commands",
        newer: false,
    },
    Spec {
        name: "command",
        arity: -1,
        flags: &["loading", "stale"],
        acl: CONN,
        subcommands: &[
            conn_sub("count", 2, &["loading", "stale"]),
            conn_sub("docs", -2, &["loading", "stale"]),
            conn_sub("getkeys", -3, &["loading", "stale"]),
            conn_sub("getkeysandflags", -3, &["loading", "stale"]),
            conn_sub("help", 2, &["loading", "stale"]),
            conn_sub("info", -2, &["loading", "stale"]),
            conn_sub("list", -2, &["loading", "stale"]),
        ],
        summary: "Get array of Redis command details",
        newer: false,
    },
    Spec {
        name: "hello",
        arity: -1,
        flags: &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
        acl: &["@fast", "@connection"],
        subcommands: &[],
        summary: "Handshake with Redis",
        newer: false,
    },
    Spec {
        name: "info",
        arity: -1,
        flags: &["loading", "stale"],
        acl: &["@slow", "@dangerous"],
        subcommands: &[],
        summary: "Get information and statistics about the server",
        newer: false,
    },
    Spec {
        name: "ping",
        arity: -1,
        flags: &["fast"],
        acl: &["@fast", "@connection"],
        subcommands: &[],
        summary: "Ping the server",
        newer: false,
    },
    Spec {
        name: "psubscribe",
        arity: -2,
        flags: &["pubsub", "noscript", "loading", "stale"],
        acl: &["@pubsub", "@slow"],
        subcommands: &[],
        summary: "Listen for messages published to channels matching the given patterns",
        newer: false,
    },
    Spec {
        name: "publish",
        arity: 3,
        flags: &["pubsub", "loading", "stale", "fast", "may_replicate"],
        acl: &["@pubsub", "@fast"],
        subcommands: &[],
        summary: "Post a message to a channel",
        newer: false,
    },
    Spec {
        name: "punsubscribe",
        arity: -1,
        flags: &["pubsub", "noscript", "loading", "stale"],
        acl: &["@pubsub", "@slow"],
        subcommands: &[],
        summary: "Stop listening for messages posted to channels matching the given patterns",
        newer: false,
    },
    Spec {
        name: "role",
        arity: 1,
        flags: &["noscript", "loading", "stale", "fast"],
        acl: &["@admin", "@fast", "@dangerous"],
        subcommands: &[],
        summary: "Return the role of the instance in the context of replication",
        newer: false,
    },
    Spec {
        name: "sentinel",
        arity: -2,
        flags: &["admin"],
        acl: ADMIN_CATS,
        subcommands: &[
            admin_sub("ckquorum", 3, ADMIN),
            admin_sub("config", -3, ADMIN),
            admin_sub("debug", -2, ADMIN),
            admin_sub("failover", -3, ADMIN),
            admin_sub("flushconfig", 2, ADMIN),
            admin_sub("get-master-addr-by-name", 3, ADMIN),
            // Valkey 8's names (`sentinel.rs`, `canonical`).
            newer(admin_sub("get-primary-addr-by-name", 3, ADMIN)),
            sub("help", 2, &["loading", "stale", "sentinel", "only_sentinel"]),
            admin_sub("info-cache", -3, ADMIN),
            admin_sub("is-master-down-by-addr", 6, ADMIN),
            newer(admin_sub("is-primary-down-by-addr", 6, ADMIN)),
            admin_sub("master", 3, ADMIN),
            admin_sub("masters", 2, ADMIN),
            admin_sub("monitor", 6, ADMIN),
            admin_sub("myid", 2, ADMIN),
            admin_sub("pending-scripts", 2, ADMIN),
            newer(admin_sub("primaries", 2, ADMIN)),
            newer(admin_sub("primary", 3, ADMIN)),
            admin_sub("remove", 3, ADMIN),
            admin_sub("replicas", 3, ADMIN),
            admin_sub("reset", 3, ADMIN),
            admin_sub("sentinels", 3, ADMIN),
            admin_sub("set", -5, ADMIN),
            admin_sub("simulate-failure", -3, ADMIN),
            admin_sub("slaves", 3, ADMIN),
        ],
        summary: "A container for Sentinel commands",
        newer: false,
    },
    Spec {
        name: "shutdown",
        arity: -1,
        flags: &["admin", "noscript", "loading", "stale", "no_multi", "sentinel", "allow_busy"],
        acl: &["@admin", "@slow", "@dangerous"],
        subcommands: &[],
        summary: "Synchronously save the dataset to disk and then shut down the server",
        newer: false,
    },
    Spec {
        name: "subscribe",
        arity: -2,
        flags: &["pubsub", "noscript", "loading", "stale"],
        acl: &["@pubsub", "@slow"],
        subcommands: &[],
        summary: "Listen for messages published to the given channels",
        newer: false,
    },
    Spec {
        name: "unsubscribe",
        arity: -1,
        flags: &["pubsub", "noscript", "loading", "stale"],
        acl: &["@pubsub", "@slow"],
        subcommands: &[],
        summary: "Stop listening for messages posted to the given channels",
        newer: false,
    },
];

/// Valkey 8's names for redis-sentinel's subcommands: `(alias, redis name)`,
/// as full names. Both are answered; ACL rules treat them as one command.
pub const ALIASES: &[(&str, &str)] = &[
    ("sentinel|get-primary-addr-by-name", "sentinel|get-master-addr-by-name"),
    ("sentinel|is-primary-down-by-addr", "sentinel|is-master-down-by-addr"),
    ("sentinel|primaries", "sentinel|masters"),
    ("sentinel|primary", "sentinel|master"),
];

/// The redis name an alias stands for (`fullname` in lowercase).
pub fn alias_of(fullname: &str) -> Option<&'static str> {
    ALIASES.iter().find(|(alias, _)| *alias == fullname).map(|(_, name)| *name)
}

/// The command called `name` (case-insensitive).
pub fn lookup(name: &[u8]) -> Option<&'static Spec> {
    COMMANDS.iter().find(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
}

/// Server-level `rename-command`s, as redis applies them to the command
/// table of sentinel mode: each command's table name (lowercase) → the
/// name clients now call it by, `""` when removed. A command not in the
/// map keeps its own name.
pub type Renames = std::collections::BTreeMap<String, String>;

/// The command clients call `name` (case-insensitive) once `renames`
/// apply: a renamed command answers only to its new name.
pub fn lookup_renamed(renames: &Renames, name: &[u8]) -> Option<&'static Spec> {
    if let Some((table_name, _)) =
        renames.iter().find(|(_, now)| !now.is_empty() && now.as_bytes().eq_ignore_ascii_case(name))
    {
        return lookup(table_name.as_bytes());
    }
    lookup(name).filter(|spec| !renames.contains_key(spec.name))
}

/// Applies `rename-command from to` to `renames` as redis does while
/// reading its config: `from` is the command's current name (a sentinel
/// command, or a name an earlier line gave); `to` empty removes it. The
/// errors are redis's.
pub fn rename(renames: &mut Renames, from: &str, to: &str) -> Result<(), &'static str> {
    let spec =
        lookup_renamed(renames, from.as_bytes()).ok_or("No such command in rename-command")?;
    // Redis removes the old name before adding the new one: a command may
    // be "renamed" to its own name.
    let mut without = renames.clone();
    without.insert(spec.name.to_string(), String::new());
    if !to.is_empty() && lookup_renamed(&without, to.as_bytes()).is_some() {
        return Err("Target command name already exists");
    }
    without.insert(spec.name.to_string(), to.to_string());
    if without.get(spec.name).is_some_and(|now| now.eq_ignore_ascii_case(spec.name)) {
        without.remove(spec.name);
    }
    *renames = without;
    Ok(())
}

/// The commands that exist under `renames` (renamed ones included,
/// removed ones not), in table order.
pub fn live(renames: &Renames) -> impl Iterator<Item = &'static Spec> + '_ {
    COMMANDS.iter().filter(|c| renames.get(c.name).is_none_or(|now| !now.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifteen_commands_sorted() {
        assert_eq!(COMMANDS.len(), 15);
        assert!(COMMANDS.windows(2).all(|w| w[0].name < w[1].name));
        assert!(lookup(b"SeNtInEl").is_some());
        assert!(lookup(b"quit").is_none());
        let sentinel = lookup(b"sentinel").unwrap();
        assert!(sentinel.subcommand(b"MASTERS").unwrap().arity_ok(2));
        assert!(!sentinel.subcommand(b"masters").unwrap().arity_ok(3));
        assert!(sentinel.subcommand(b"set").unwrap().arity_ok(7));
    }

    fn renamed(lines: &[(&str, &str)]) -> Result<Renames, &'static str> {
        let mut renames = Renames::new();
        for (from, to) in lines {
            rename(&mut renames, from, to)?;
        }
        Ok(renames)
    }

    #[test]
    fn renames_follow_redis() {
        let r = renamed(&[("SENTINEL", ""), ("ping", "Pong2"), ("pong2", "p3"), ("info", "INFO")])
            .expect("valid");
        assert!(lookup_renamed(&r, b"sentinel").is_none());
        assert!(lookup_renamed(&r, b"ping").is_none());
        assert!(lookup_renamed(&r, b"pong2").is_none());
        assert_eq!(lookup_renamed(&r, b"P3").map(|s| s.name), Some("ping"));
        assert_eq!(lookup_renamed(&r, b"info").map(|s| s.name), Some("info"));
        assert_eq!(live(&r).count(), 14);
        // A freed name may be taken; a used one may not.
        assert!(renamed(&[("ping", ""), ("role", "PING")]).is_ok());
        assert_eq!(renamed(&[("ping", "role")]), Err("Target command name already exists"));
        assert_eq!(
            renamed(&[("ping", "x"), ("info", "X")]),
            Err("Target command name already exists")
        );
        // Only sentinel commands, each by its current name.
        assert_eq!(renamed(&[("get", "x")]), Err("No such command in rename-command"));
        assert_eq!(renamed(&[("config", "")]), Err("No such command in rename-command"));
        assert_eq!(
            renamed(&[("ping", "x"), ("ping", "y")]),
            Err("No such command in rename-command")
        );
        assert_eq!(
            renamed(&[("ping", ""), ("ping", "")]),
            Err("No such command in rename-command")
        );
        assert_eq!(renamed(&[("client|kill", "")]), Err("No such command in rename-command"));
    }
}
