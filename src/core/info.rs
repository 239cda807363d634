//! Parsing a Redis `INFO` reply into the few facts a sentinel acts on.
//!
//! The sentinel sends a plain `INFO` to every master and replica it monitors
//! (spec §7.8) and reads a handful of `key:value` lines out of the reply: the
//! server's run id, the role it reports, whom a replica follows and how well,
//! and, in a master's reply, the `slaveN:` lines from which replicas are
//! discovered. [`parse_info`] turns the text into an [`InfoReport`]; deciding
//! what the facts mean (a `+reboot`, a `+role-change`, a new `+slave`) is left
//! to the caller.
//!
//! The text comes from the network, so nothing here trusts it: unknown keys,
//! section headers (`# Server`), blank lines and malformed values are skipped,
//! and no input makes the parser panic.

use super::ids::{Addr, RunId};

/// The role a Redis server reports on its `role:` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// `role:master`.
    Master,
    /// `role:slave`.
    Replica,
}

impl Role {
    /// The word Redis uses for the role (`master` / `slave`), as it appears
    /// in event messages and in the `role-reported` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Master => "master",
            Role::Replica => "slave",
        }
    }
}

/// What a sentinel learns from one `INFO` reply.
///
/// Every field is optional or defaults to "false / empty": a line that is
/// absent and a line that could not be parsed look the same.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InfoReport {
    /// `run_id:`, only when the value is exactly 40 characters long.
    pub run_id: Option<RunId>,
    /// `role:master` or `role:slave`; any other value leaves it unset.
    pub role: Option<Role>,
    /// `master_host:`, only when it follows a `role:slave` line.
    pub master_host: Option<String>,
    /// `master_port:`, only when it follows a `role:slave` line.
    pub master_port: Option<u16>,
    /// Whether `master_link_status:up` was seen.
    pub master_link_up: bool,
    /// `master_link_down_since_seconds:`. Redis prints `-1` before a replica
    /// ever connected; negative and unparsable values are reported as `None`
    /// (redis-sentinel would multiply the `-1` into a down time of -1000 ms).
    pub master_link_down_since_secs: Option<u64>,
    /// `slave_priority:` (what Redis 7.0 prints) or `replica_priority:`.
    pub replica_priority: Option<u32>,
    /// `slave_repl_offset:`, the replication offset a replica has processed.
    pub replica_repl_offset: Option<u64>,
    /// `replica_announced:` (`1` or `0`); anything else leaves it unset.
    pub replica_announced: Option<bool>,
    /// Whether `loading:1` was seen (the server is loading its dataset).
    pub loading: bool,
    /// `redis_version:`.
    pub redis_version: Option<String>,
    /// `master_failover_state:` (Redis 6.2+): `no-failover`,
    /// `waiting-for-sync` or `failover-in-progress` (a `FAILOVER` runs).
    pub master_failover_state: Option<String>,
    /// `master_replid:`, the replication ID of the history the server holds.
    pub master_replid: Option<String>,
    /// `master_replid2:`, the history it continued when it was promoted
    /// (all zeros, reported as `None`, if it never was).
    pub master_replid2: Option<String>,
    /// The replicas listed on `slaveN:` lines, in order, without duplicates.
    ///
    /// Collected whatever role the server reports: redis-sentinel only reads
    /// these lines from instances it has configured as masters, and that is
    /// the caller's decision.
    pub replicas: Vec<Addr>,
}

/// Parses the text of an `INFO` reply. Lines may end in CRLF or LF.
///
/// Lines are read in order, so `master_host:` and `master_port:` count only
/// after `role:slave`, as in redis-sentinel. When a key repeats, the last
/// valid value wins.
pub fn parse_info(text: &str) -> InfoReport {
    let mut report = InfoReport::default();
    for line in text.lines() {
        // `str::lines` already strips a trailing `\r`; a stray one mid-file
        // would be part of a value and make it fail to parse, which is fine.
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else { continue };
        apply_line(&mut report, key, value);
    }
    report
}

/// A replication ID, unless it is Redis' "none" (all zeros) or empty.
fn replid(value: &str) -> Option<String> {
    (!value.bytes().all(|b| b == b'0')).then(|| value.to_owned())
}

/// Applies one `key:value` line to the report.
fn apply_line(report: &mut InfoReport, key: &str, value: &str) {
    match key {
        "run_id" if value.len() == 40 => report.run_id = Some(RunId::from(value.to_owned())),
        "role" => {
            report.role = match value {
                "master" => Some(Role::Master),
                "slave" => Some(Role::Replica),
                _ => None,
            }
        }
        "master_host" if report.role == Some(Role::Replica) => {
            report.master_host = Some(value.to_owned())
        }
        "master_port" if report.role == Some(Role::Replica) => {
            if let Ok(port) = value.parse() {
                report.master_port = Some(port);
            }
        }
        "master_link_status" => report.master_link_up = value == "up",
        "master_link_down_since_seconds" => {
            report.master_link_down_since_secs = value.parse().ok();
        }
        "slave_priority" | "replica_priority" => {
            if let Ok(priority) = value.parse() {
                report.replica_priority = Some(priority);
            }
        }
        "slave_repl_offset" => {
            if let Ok(offset) = value.parse() {
                report.replica_repl_offset = Some(offset);
            }
        }
        "replica_announced" => match value {
            "1" => report.replica_announced = Some(true),
            "0" => report.replica_announced = Some(false),
            _ => {}
        },
        "loading" => report.loading = value == "1",
        "redis_version" => report.redis_version = Some(value.to_owned()),
        "master_failover_state" => report.master_failover_state = Some(value.to_owned()),
        "master_replid" => report.master_replid = replid(value),
        "master_replid2" => report.master_replid2 = replid(value),
        _ if is_replica_key(key) => {
            if let Some(addr) = parse_replica_entry(value)
                && !report.replicas.contains(&addr)
            {
                report.replicas.push(addr);
            }
        }
        _ => {}
    }
}

/// Whether `key` is `slave<N>` (e.g. `slave0`), and not merely a key that
/// starts with "slave" such as `slave_read_only` or `slave_priority`.
fn is_replica_key(key: &str) -> bool {
    key.strip_prefix("slave")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Parses the value of a `slaveN:` line into the replica's address.
///
/// Two forms exist: `ip=<ip>,port=<port>,state=..,offset=..,lag=..` (every
/// Redis since 2.8) and the old `<ip>,<port>,<state>`. An entry without an
/// ip, with an empty ip, or with a port that is not a number in 1..=65535 is
/// ignored.
fn parse_replica_entry(value: &str) -> Option<Addr> {
    let (host, port) = if value.contains("ip=") {
        let mut host = None;
        let mut port = None;
        for field in value.split(',') {
            if let Some(v) = field.strip_prefix("ip=") {
                host = Some(v);
            } else if let Some(v) = field.strip_prefix("port=") {
                port = Some(v);
            }
        }
        (host?, port?)
    } else {
        // The old form must carry all three fields.
        let mut fields = value.splitn(3, ',');
        let host = fields.next()?;
        let port = fields.next()?;
        fields.next()?;
        (host, port)
    };
    let port: u16 = port.parse().ok()?;
    if host.is_empty() || port == 0 {
        return None;
    }
    Some(Addr::new(host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `INFO` of a redis-server 7.0.15 master with one online replica.
    const MASTER: &str = include_str!("testdata/info_master.txt");
    /// `INFO` of that replica once synced.
    const REPLICA: &str = include_str!("testdata/info_replica.txt");
    /// `INFO` of the same replica a moment after start, before its first sync.
    const REPLICA_SYNCING: &str = include_str!("testdata/info_replica_syncing.txt");

    #[test]
    fn real_master() {
        assert!(MASTER.contains("\r\n"), "captured with CRLF line ends");
        let r = parse_info(MASTER);
        assert_eq!(
            r.run_id,
            Some(RunId::from(String::from("c6d65d9ad1c00f84320069c7a083d75b24891d41")))
        );
        assert_eq!(r.role, Some(Role::Master));
        assert_eq!(r.master_host, None);
        assert_eq!(r.master_port, None);
        assert!(!r.master_link_up);
        assert_eq!(r.master_link_down_since_secs, None);
        assert_eq!(r.replica_priority, None);
        assert_eq!(r.replica_repl_offset, None);
        assert_eq!(r.replica_announced, None);
        assert!(!r.loading);
        assert_eq!(r.redis_version.as_deref(), Some("7.0.15"));
        assert_eq!(r.replicas, vec![Addr::new("127.0.0.1", 27312)]);
        // The replica shares the master's history; neither was promoted.
        let id = Some("db2ba6d22a9a638463a20919d11e4796a384d61b".to_owned());
        assert_eq!((r.master_replid.clone(), r.master_replid2), (id.clone(), None));
        assert_eq!(parse_info(REPLICA).master_replid, id);
    }

    #[test]
    fn real_replica() {
        let r = parse_info(REPLICA);
        assert_eq!(
            r.run_id,
            Some(RunId::from(String::from("1080ac67eec920873bffbacd9842c839992d667a")))
        );
        assert_eq!(r.role, Some(Role::Replica));
        assert_eq!(r.master_host.as_deref(), Some("127.0.0.1"));
        assert_eq!(r.master_port, Some(27311));
        assert!(r.master_link_up);
        assert_eq!(r.master_link_down_since_secs, None);
        assert_eq!(r.replica_priority, Some(100));
        assert_eq!(r.replica_repl_offset, Some(14));
        assert_eq!(r.replica_announced, Some(true));
        assert!(!r.loading);
        assert_eq!(r.redis_version.as_deref(), Some("7.0.15"));
        assert_eq!(r.replicas, vec![]);
    }

    #[test]
    fn real_replica_before_first_sync() {
        let r = parse_info(REPLICA_SYNCING);
        assert_eq!(r.role, Some(Role::Replica));
        assert_eq!(r.master_port, Some(27311));
        assert!(!r.master_link_up);
        // Redis prints -1 here; see the field's doc.
        assert!(REPLICA_SYNCING.contains("master_link_down_since_seconds:-1\r\n"));
        assert_eq!(r.master_link_down_since_secs, None);
        assert_eq!(r.replica_repl_offset, Some(1));
    }

    #[test]
    fn lf_and_crlf_give_the_same_report() {
        for text in [MASTER, REPLICA, REPLICA_SYNCING] {
            assert_eq!(parse_info(text), parse_info(&text.replace("\r\n", "\n")));
        }
    }

    #[test]
    fn replica_lines() {
        let a = |h: &str, p| Addr::new(h, p);
        let cases: &[(&str, Vec<Addr>)] = &[
            ("slave0:ip=10.0.0.2,port=6380,state=online,offset=1,lag=0", vec![a("10.0.0.2", 6380)]),
            ("slave0:port=6380,ip=10.0.0.2", vec![a("10.0.0.2", 6380)]),
            ("slave12:ip=::1,port=7000,state=online", vec![a("::1", 7000)]),
            ("slave0:10.0.0.3,6381,online", vec![a("10.0.0.3", 6381)]),
            ("slave0:10.0.0.3,6381", vec![]),
            ("slave0:ip=10.0.0.2,state=online", vec![]),
            ("slave0:ip=,port=6380", vec![]),
            ("slave0:ip=10.0.0.2,port=abc", vec![]),
            ("slave0:ip=10.0.0.2,port=70000", vec![]),
            ("slave0:ip=10.0.0.2,port=0", vec![]),
            ("slave0:ip=10.0.0.2,port=-1", vec![]),
            ("slave0:", vec![]),
            ("slave:ip=10.0.0.2,port=6380", vec![]),
            ("slavex:ip=10.0.0.2,port=6380", vec![]),
            ("slave_read_only:1", vec![]),
            ("slave_priority:100", vec![]),
            ("slave_repl_offset:5", vec![]),
            ("slave_expires_tracked_keys:0", vec![]),
            (
                "slave0:ip=a,port=1\nslave1:ip=b,port=2\nslave2:ip=a,port=1",
                vec![a("a", 1), a("b", 2)],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(&parse_info(text).replicas, want, "{text:?}");
        }
    }

    #[test]
    fn edge_cases() {
        let id40 = "0123456789012345678901234567890123456789";
        let cases: &[(String, InfoReport)] = &[
            (
                format!("run_id:{id40}"),
                InfoReport { run_id: Some(RunId::from(String::from(id40))), ..Default::default() },
            ),
            (format!("run_id:{id40}0"), InfoReport::default()),
            ("run_id:abc".into(), InfoReport::default()),
            ("role:sentinel".into(), InfoReport::default()),
            // master_host/master_port count only after role:slave.
            (
                "master_host:h\nmaster_port:1\nrole:slave".into(),
                InfoReport { role: Some(Role::Replica), ..Default::default() },
            ),
            (
                "role:master\nmaster_host:h\nmaster_port:1".into(),
                InfoReport { role: Some(Role::Master), ..Default::default() },
            ),
            (
                "role:slave\nmaster_host:h\nmaster_port:99999".into(),
                InfoReport {
                    role: Some(Role::Replica),
                    master_host: Some("h".into()),
                    ..Default::default()
                },
            ),
            ("master_link_status:down".into(), InfoReport::default()),
            (
                "master_link_status:up".into(),
                InfoReport { master_link_up: true, ..Default::default() },
            ),
            (
                "master_link_down_since_seconds:12".into(),
                InfoReport { master_link_down_since_secs: Some(12), ..Default::default() },
            ),
            (
                "replica_priority:0".into(),
                InfoReport { replica_priority: Some(0), ..Default::default() },
            ),
            ("slave_priority:-3".into(), InfoReport::default()),
            (
                "replica_announced:0".into(),
                InfoReport { replica_announced: Some(false), ..Default::default() },
            ),
            ("replica_announced:yes".into(), InfoReport::default()),
            ("loading:1".into(), InfoReport { loading: true, ..Default::default() }),
            (
                "# Server\r\n\r\nredis_version:7.2.4\r\n".into(),
                InfoReport { redis_version: Some("7.2.4".into()), ..Default::default() },
            ),
            // Garbage is ignored.
            ("".into(), InfoReport::default()),
            (":\n::\nno colon\n\u{0}\u{ff}:x\r\r\n".into(), InfoReport::default()),
            ("slave_repl_offset:18446744073709551616".into(), InfoReport::default()),
        ];
        for (text, want) in cases {
            assert_eq!(&parse_info(text), want, "{text:?}");
        }
    }

    #[test]
    fn truncated_replies_never_panic() {
        for text in [MASTER, REPLICA] {
            for end in (0..text.len()).filter(|&i| text.is_char_boundary(i)) {
                let _ = parse_info(&text[..end]);
            }
        }
    }
}
