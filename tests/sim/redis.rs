//! A simulated Redis 7.0 server: just what a sentinel talks to.
//!
//! It answers the commands redis-sentinel sends to data nodes (spec §0):
//! `AUTH`, `CLIENT SETNAME|KILL`, `PING`, `INFO`, `SUBSCRIBE`, `PUBLISH`,
//! `SCRIPT KILL`, and `MULTI` … `EXEC` transactions with `SLAVEOF` /
//! `REPLICAOF`, `CONFIG REWRITE` and `CLIENT KILL TYPE normal|pubsub`.
//! Command names pass through a `rename-command` table.
//!
//! Replication itself (offsets growing, replicas catching up, the link to
//! the master going up and down) is driven by the world, which knows who can
//! reach whom: see `World::replicate`.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use rsentinel::core::{Addr, Millis};
use rsentinel::resp::Frame;

use crate::net::ConnId;

/// What a Redis server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisRole {
    /// A master.
    Master,
    /// A replica of the server at this address.
    Replica(Addr),
}

/// One client connection as the server sees it.
#[derive(Debug, Default)]
struct Client {
    /// Subscribed channels (a client with any is a pub/sub client).
    channels: BTreeSet<Bytes>,
    /// Commands queued since `MULTI`.
    multi: Option<Vec<Vec<Bytes>>>,
}

/// How long a replica needs to sync after `SLAVEOF host port`.
pub const SYNC_MS: u64 = 300;

/// The simulated server.
#[derive(Debug)]
pub struct Redis {
    /// Its address (also what its replicas' `slaveN` lines show).
    pub addr: Addr,
    /// `run_id`, new at every restart.
    pub run_id: String,
    /// Master or replica of whom.
    pub role: RedisRole,
    /// `master_repl_offset` / `slave_repl_offset`.
    pub offset: u64,
    /// `master_replid`: the history it holds (a replica takes its
    /// master's, a promotion starts a new one, a restart too: no
    /// persistence).
    pub replid: String,
    /// `master_replid2`: the history it continued when last promoted.
    pub replid2: Option<String>,
    /// For a replica: `master_link_status:up`.
    pub link_up: bool,
    /// For a replica: since when the link to its master is down.
    pub link_down_since: Option<Millis>,
    /// For a replica: no link before this time (initial sync).
    pub sync_until: Millis,
    /// `slave_priority`.
    pub priority: u32,
    /// Answer `-LOADING` to PING (a server loading its dataset).
    pub loading: bool,
    /// `rename-command`: original name (lower case) → new name ("" = disabled).
    pub renames: BTreeMap<String, String>,
    /// When the process started.
    pub started: Millis,
    /// Role changes and other notable commands, for the trace.
    pub log: Vec<String>,
    clients: BTreeMap<ConnId, Client>,
    killed: Vec<ConnId>,
    published: Vec<(Bytes, Bytes)>,
}

fn b(s: &str) -> Frame {
    Frame::bulk(s)
}

fn upper(a: &Bytes) -> String {
    String::from_utf8_lossy(a).to_ascii_uppercase()
}

impl Redis {
    /// A server at `addr` started at `now`.
    pub fn new(addr: Addr, run_id: String, role: RedisRole, now: Millis) -> Redis {
        let is_replica = matches!(role, RedisRole::Replica(_));
        Redis {
            addr,
            run_id: run_id.clone(),
            replid: run_id,
            replid2: None,
            role,
            offset: 1,
            link_up: false,
            link_down_since: is_replica.then_some(now),
            sync_until: now + Millis(SYNC_MS),
            priority: 100,
            loading: false,
            renames: BTreeMap::new(),
            started: now,
            log: Vec::new(),
            clients: BTreeMap::new(),
            killed: Vec::new(),
            published: Vec::new(),
        }
    }

    /// The process restarted (it keeps its rewritten config: role, renames).
    pub fn restart(&mut self, run_id: String, now: Millis) {
        self.replid = run_id.clone();
        self.replid2 = None;
        self.run_id = run_id;
        self.started = now;
        self.clients.clear();
        self.killed.clear();
        self.published.clear();
        self.link_up = false;
        if matches!(self.role, RedisRole::Replica(_)) {
            self.link_down_since = Some(now);
            self.sync_until = now + Millis(SYNC_MS);
        }
    }

    /// A client connected.
    pub fn accept(&mut self, conn: ConnId) {
        self.clients.insert(conn, Client::default());
    }

    /// A client went away.
    pub fn drop_client(&mut self, conn: ConnId) {
        self.clients.remove(&conn);
    }

    /// Connections subscribed to `channel`.
    pub fn subscribers(&self, channel: &[u8]) -> Vec<ConnId> {
        self.clients
            .iter()
            .filter(|(_, c)| c.channels.contains(channel))
            .map(|(&id, _)| id)
            .collect()
    }

    /// Connections the last commands killed (`CLIENT KILL`); the world
    /// closes them.
    pub fn take_killed(&mut self) -> Vec<ConnId> {
        std::mem::take(&mut self.killed)
    }

    /// Messages the last commands published; the world delivers them to
    /// [`subscribers`](Self::subscribers).
    pub fn take_published(&mut self) -> Vec<(Bytes, Bytes)> {
        std::mem::take(&mut self.published)
    }

    /// The command name after `rename-command`, lower case; `None` when the
    /// name is unknown (renamed away or disabled).
    fn resolve(&self, name: &Bytes) -> Option<String> {
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        if let Some((orig, _)) =
            self.renames.iter().find(|(_, new)| !new.is_empty() && new.eq_ignore_ascii_case(&name))
        {
            return Some(orig.clone());
        }
        if self.renames.contains_key(&name) { None } else { Some(name) }
    }

    /// Runs one command from `conn`. `replicas` are the replicas attached
    /// to this server now (address, offset), for INFO.
    pub fn handle(
        &mut self,
        now: Millis,
        conn: ConnId,
        args: &[Bytes],
        replicas: &[(Addr, u64)],
    ) -> Frame {
        let Some(first) = args.first() else {
            return Frame::error("ERR empty command");
        };
        let Some(name) = self.resolve(first) else {
            return unknown(args);
        };
        let in_multi = self.clients.get(&conn).is_some_and(|c| c.multi.is_some());
        if in_multi && !matches!(name.as_str(), "exec" | "discard" | "multi") {
            let mut cmd = args.to_vec();
            cmd[0] = Bytes::from(name);
            if let Some(q) = self.clients.get_mut(&conn).and_then(|c| c.multi.as_mut()) {
                q.push(cmd);
            }
            return Frame::Simple("QUEUED".into());
        }
        match name.as_str() {
            "multi" => {
                let c = self.clients.entry(conn).or_default();
                if c.multi.is_some() {
                    return Frame::error("ERR MULTI calls can not be nested");
                }
                c.multi = Some(Vec::new());
                Frame::ok()
            }
            "exec" => {
                let Some(queued) = self.clients.get_mut(&conn).and_then(|c| c.multi.take()) else {
                    return Frame::error("ERR EXEC without MULTI");
                };
                let replies =
                    queued.iter().map(|cmd| self.exec(now, conn, &cmd[0].clone(), cmd, replicas));
                Frame::Array(replies.collect())
            }
            "discard" => match self.clients.get_mut(&conn).and_then(|c| c.multi.take()) {
                Some(_) => Frame::ok(),
                None => Frame::error("ERR DISCARD without MULTI"),
            },
            _ => self.exec(now, conn, &Bytes::from(name), args, replicas),
        }
    }

    /// Runs one resolved command (`name` is the lower-case original name).
    fn exec(
        &mut self,
        now: Millis,
        conn: ConnId,
        name: &Bytes,
        args: &[Bytes],
        replicas: &[(Addr, u64)],
    ) -> Frame {
        let arg = |i: usize| args.get(i).map(upper).unwrap_or_default();
        match &name[..] {
            b"auth" => Frame::ok(),
            b"ping" if self.loading => {
                Frame::error("LOADING Redis is loading the dataset in memory")
            }
            b"ping" => Frame::Simple("PONG".into()),
            b"info" => Frame::Bulk(Bytes::from(self.info(now, replicas))),
            b"client" => match arg(1).as_str() {
                "KILL" if arg(2) == "TYPE" => {
                    let pubsub = arg(3) == "PUBSUB";
                    let victims: Vec<ConnId> = self
                        .clients
                        .iter()
                        .filter(|&(&id, c)| id != conn && c.channels.is_empty() != pubsub)
                        .map(|(&id, _)| id)
                        .collect();
                    for v in &victims {
                        self.clients.remove(v);
                    }
                    self.log.push(format!("CLIENT KILL TYPE {} -> {}", arg(3), victims.len()));
                    self.killed.extend(&victims);
                    Frame::Integer(victims.len() as i64)
                }
                "KILL" => Frame::Integer(0),
                _ => Frame::ok(),
            },
            b"subscribe" => {
                let Some(ch) = args.get(1) else { return wrong_arity("subscribe") };
                let c = self.clients.entry(conn).or_default();
                c.channels.insert(ch.clone());
                Frame::Array(vec![
                    b("subscribe"),
                    Frame::Bulk(ch.clone()),
                    Frame::Integer(c.channels.len() as i64),
                ])
            }
            b"publish" => {
                let (Some(ch), Some(msg)) = (args.get(1), args.get(2)) else {
                    return wrong_arity("publish");
                };
                let n = self.subscribers(ch).len();
                self.published.push((ch.clone(), msg.clone()));
                Frame::Integer(n as i64)
            }
            b"slaveof" | b"replicaof" => {
                let (h, p) = (args.get(1), args.get(2));
                let (Some(h), Some(p)) = (h, p) else { return wrong_arity("slaveof") };
                if upper(h) == "NO" && upper(p) == "ONE" {
                    if self.role != RedisRole::Master {
                        self.log.push("SLAVEOF NO ONE: now master".into());
                        let fresh = format!("{}-{}", self.run_id, now.as_u64());
                        self.replid2 = Some(std::mem::replace(&mut self.replid, fresh));
                    }
                    self.role = RedisRole::Master;
                    self.link_up = false;
                    self.link_down_since = None;
                    return Frame::ok();
                }
                let Ok(port) = String::from_utf8_lossy(p).parse::<u16>() else {
                    return Frame::error("ERR value is not an integer or out of range");
                };
                let master = Addr::new(String::from_utf8_lossy(h).into_owned(), port);
                if self.role != RedisRole::Replica(master.clone()) {
                    self.log.push(format!("SLAVEOF {master}"));
                    self.role = RedisRole::Replica(master);
                    self.link_up = false;
                    self.link_down_since = Some(now);
                    self.sync_until = now + Millis(SYNC_MS);
                }
                Frame::ok()
            }
            b"config" => Frame::ok(),
            b"script" => Frame::error("NOTBUSY No scripts in execution right now."),
            _ => unknown(args),
        }
    }

    /// The INFO text, shaped like redis 7.0's (default sections, CRLF).
    pub fn info(&self, now: Millis, replicas: &[(Addr, u64)]) -> String {
        let uptime = (now - self.started).as_u64() / 1000;
        let mut s = String::new();
        let mut line = |l: &str| {
            s.push_str(l);
            s.push_str("\r\n");
        };
        line("# Server");
        line("redis_version:7.0.15");
        line("redis_git_sha1:00000000");
        line("redis_mode:standalone");
        line("os:Linux sim x86_64");
        line("arch_bits:64");
        line("process_id:4242");
        line(&format!("run_id:{}", self.run_id));
        line(&format!("tcp_port:{}", self.addr.port));
        line(&format!("uptime_in_seconds:{uptime}"));
        line(&format!("uptime_in_days:{}", uptime / 86400));
        line("hz:10");
        line("");
        line("# Clients");
        line(&format!("connected_clients:{}", self.clients.len()));
        line("blocked_clients:0");
        line("");
        line("# Persistence");
        line(&format!("loading:{}", u8::from(self.loading)));
        line("");
        line("# Replication");
        match &self.role {
            RedisRole::Master => {
                line("role:master");
                line(&format!("connected_slaves:{}", replicas.len()));
                for (i, (a, off)) in replicas.iter().enumerate() {
                    line(&format!(
                        "slave{i}:ip={},port={},state=online,offset={off},lag=0",
                        a.host, a.port
                    ));
                }
            }
            RedisRole::Replica(m) => {
                line("role:slave");
                line(&format!("master_host:{}", m.host));
                line(&format!("master_port:{}", m.port));
                line(&format!("master_link_status:{}", if self.link_up { "up" } else { "down" }));
                line(&format!("master_last_io_seconds_ago:{}", if self.link_up { 0 } else { -1 }));
                line("master_sync_in_progress:0");
                line(&format!("slave_read_repl_offset:{}", self.offset));
                line(&format!("slave_repl_offset:{}", self.offset));
                if let Some(since) = self.link_down_since.filter(|_| !self.link_up) {
                    line(&format!(
                        "master_link_down_since_seconds:{}",
                        (now - since).as_u64() / 1000
                    ));
                }
                line(&format!("slave_priority:{}", self.priority));
                line("slave_read_only:1");
                line("replica_announced:1");
                line("connected_slaves:0");
            }
        }
        line("master_failover_state:no-failover");
        line(&format!("master_replid:{}", self.replid));
        let none = "0000000000000000000000000000000000000000";
        line(&format!("master_replid2:{}", self.replid2.as_deref().unwrap_or(none)));
        line(&format!("master_repl_offset:{}", self.offset));
        line("second_repl_offset:-1");
        line("repl_backlog_active:1");
        line("");
        line("# Cluster");
        line("cluster_enabled:0");
        line("");
        line("# Keyspace");
        s
    }
}

fn wrong_arity(cmd: &str) -> Frame {
    Frame::error(format!("ERR wrong number of arguments for '{cmd}' command"))
}

fn unknown(args: &[Bytes]) -> Frame {
    let name = String::from_utf8_lossy(&args[0]);
    let rest: String =
        args[1..].iter().map(|a| format!("'{}' ", String::from_utf8_lossy(a))).collect();
    Frame::error(format!("ERR unknown command '{name}', with args beginning with: {rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsentinel::core::{Role, parse_info};

    fn cmd(r: &mut Redis, conn: u64, args: &[&str]) -> Frame {
        let args: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.to_string())).collect();
        r.handle(Millis(5000), ConnId(conn), &args, &[(Addr::new("10.0.0.2", 6379), 77)])
    }

    fn master() -> Redis {
        let mut r =
            Redis::new(Addr::new("10.0.0.1", 6379), "a".repeat(40), RedisRole::Master, Millis(0));
        r.accept(ConnId(1));
        r.accept(ConnId(2));
        r
    }

    #[test]
    fn info_parses_as_redis_info() {
        let mut r = master();
        let Frame::Bulk(text) = cmd(&mut r, 1, &["INFO"]) else { panic!() };
        let rep = parse_info(std::str::from_utf8(&text).unwrap());
        assert_eq!(rep.role, Some(Role::Master));
        assert_eq!(rep.run_id.unwrap().as_str(), "a".repeat(40));
        assert_eq!(rep.replicas, vec![Addr::new("10.0.0.2", 6379)]);

        let mut r = Redis::new(
            Addr::new("10.0.0.2", 6379),
            "b".repeat(40),
            RedisRole::Replica(Addr::new("10.0.0.1", 6379)),
            Millis(0),
        );
        r.offset = 99;
        let rep = parse_info(&r.info(Millis(3000), &[]));
        assert_eq!(rep.role, Some(Role::Replica));
        assert_eq!(rep.master_host.as_deref(), Some("10.0.0.1"));
        assert_eq!(rep.master_port, Some(6379));
        assert!(!rep.master_link_up);
        assert_eq!(rep.master_link_down_since_secs, Some(3));
        assert_eq!(rep.replica_repl_offset, Some(99));
        assert_eq!(rep.replica_priority, Some(100));
        assert_eq!(rep.replica_announced, Some(true));
    }

    #[test]
    fn transaction_promotes_and_kills_other_clients() {
        let mut r = Redis::new(
            Addr::new("10.0.0.2", 6379),
            "b".repeat(40),
            RedisRole::Replica(Addr::new("10.0.0.1", 6379)),
            Millis(0),
        );
        for c in 1..=3 {
            r.accept(ConnId(c));
        }
        cmd(&mut r, 3, &["SUBSCRIBE", "__sentinel__:hello"]);
        assert_eq!(cmd(&mut r, 1, &["MULTI"]), Frame::ok());
        for c in [
            &["SLAVEOF", "NO", "ONE"][..],
            &["CONFIG", "REWRITE"],
            &["CLIENT", "KILL", "TYPE", "normal"],
            &["CLIENT", "KILL", "TYPE", "pubsub"],
        ] {
            assert_eq!(cmd(&mut r, 1, c), Frame::Simple("QUEUED".into()));
        }
        assert_eq!(
            r.role,
            RedisRole::Replica(Addr::new("10.0.0.1", 6379)),
            "nothing runs before EXEC"
        );
        let Frame::Array(replies) = cmd(&mut r, 1, &["EXEC"]) else { panic!() };
        assert_eq!(replies, vec![Frame::ok(), Frame::ok(), Frame::Integer(1), Frame::Integer(1)]);
        assert_eq!(r.role, RedisRole::Master);
        assert_eq!(r.take_killed(), vec![ConnId(2), ConnId(3)]);
    }

    #[test]
    fn rename_publish_subscribe() {
        let mut r = master();
        r.renames.insert("config".into(), "MYCONFIG".into());
        assert!(cmd(&mut r, 1, &["CONFIG", "REWRITE"]).is_error());
        assert_eq!(cmd(&mut r, 1, &["myconfig", "REWRITE"]), Frame::ok());
        assert_eq!(cmd(&mut r, 1, &["PUBLISH", "__sentinel__:hello", "x"]), Frame::Integer(0));
        cmd(&mut r, 2, &["SUBSCRIBE", "__sentinel__:hello"]);
        assert_eq!(cmd(&mut r, 1, &["PUBLISH", "__sentinel__:hello", "y"]), Frame::Integer(1));
        assert_eq!(r.take_published().len(), 2);
        assert_eq!(r.subscribers(b"__sentinel__:hello"), vec![ConnId(2)]);
        r.loading = true;
        assert!(cmd(&mut r, 1, &["PING"]).is_error());
    }
}
