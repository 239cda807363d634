//! The registry of connected clients, for CLIENT LIST, INFO and KILL.
//!
//! Each connection keeps a handle on its own record ([`Record`]) and
//! updates it after every command without touching the registry's lock,
//! which only registering, closing and whole-registry reads (CLIENT LIST,
//! CLIENT KILL, INFO) take; with many pipelining clients the per-command
//! update would otherwise serialise every connection on that one lock.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::watch;

/// What CLIENT LIST shows about one connection.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    /// Unique, increasing id.
    pub id: u64,
    /// The peer's address (`ip:port`; `path:0` on the unix socket).
    pub addr: String,
    /// Our local address, written the same way.
    pub laddr: String,
    /// CLIENT SETNAME.
    pub name: String,
    /// CLIENT SETINFO LIB-NAME.
    pub lib_name: String,
    /// CLIENT SETINFO LIB-VER.
    pub lib_ver: String,
    /// When it connected.
    pub created: Instant,
    /// When it last sent a command.
    pub last_active: Instant,
    /// Channels subscribed.
    pub sub: usize,
    /// Patterns subscribed.
    pub psub: usize,
    /// The channels subscribed (for ACL changes that revoke them).
    pub channels: Vec<bytes::Bytes>,
    /// The patterns subscribed.
    pub patterns: Vec<bytes::Bytes>,
    /// The last command's full name (`client|list`), empty before the first.
    pub last_cmd: &'static str,
    /// The authenticated user.
    pub user: String,
    /// 2 or 3.
    pub resp: u8,
}

impl ClientInfo {
    /// True for a client in pub/sub mode (CLIENT KILL TYPE pubsub).
    pub fn is_pubsub(&self) -> bool {
        self.sub + self.psub > 0
    }

    /// One line of CLIENT LIST, in redis 7's field order.
    pub fn line(&self, now: Instant) -> String {
        format!(
            "id={} addr={} laddr={} fd=-1 name={} age={} idle={} flags={} db=0 sub={} psub={} ssub=0 \
             multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 \
             tot-mem=0 events=r cmd={} user={} redir=-1 resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.laddr,
            self.name,
            now.duration_since(self.created).as_secs(),
            now.duration_since(self.last_active).as_secs(),
            if self.is_pubsub() { "P" } else { "N" },
            self.sub,
            self.psub,
            if self.last_cmd.is_empty() { "NULL" } else { &self.last_cmd },
            self.user,
            self.resp,
            self.lib_name,
            self.lib_ver,
        )
    }
}

/// One connection's entry: its record and the switch that closes it.
#[derive(Debug)]
struct Entry {
    info: Mutex<ClientInfo>,
    kill: watch::Sender<bool>,
}

/// A connection's handle on its own record in the registry.
#[derive(Debug, Clone)]
pub struct Record {
    /// The client's id.
    pub id: u64,
    entry: Arc<Entry>,
}

impl Record {
    /// Updates the record (locks only this client's entry).
    pub fn update(&self, f: impl FnOnce(&mut ClientInfo)) {
        f(&mut self.entry.info.lock().expect("client lock"));
    }
}

/// Connected clients, by id; each with a switch that closes it.
#[derive(Debug, Default)]
pub struct Clients {
    inner: Mutex<BTreeMap<u64, Arc<Entry>>>,
    next_id: AtomicU64,
}

impl Clients {
    /// Registers a connection; returns its record and its kill switch
    /// receiver.
    pub fn register(&self, addr: String, laddr: String) -> (Record, watch::Receiver<bool>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let now = Instant::now();
        let info = ClientInfo {
            id,
            addr,
            laddr,
            name: String::new(),
            lib_name: String::new(),
            lib_ver: String::new(),
            created: now,
            last_active: now,
            sub: 0,
            psub: 0,
            channels: Vec::new(),
            patterns: Vec::new(),
            last_cmd: "",
            user: "default".into(),
            resp: 2,
        };
        let (kill, rx) = watch::channel(false);
        let entry = Arc::new(Entry { info: Mutex::new(info), kill });
        self.inner.lock().expect("clients lock").insert(id, entry.clone());
        (Record { id, entry }, rx)
    }

    /// Forgets a closed connection.
    pub fn remove(&self, id: u64) {
        self.inner.lock().expect("clients lock").remove(&id);
    }

    /// Updates one client's record.
    pub fn update(&self, id: u64, f: impl FnOnce(&mut ClientInfo)) {
        let entry = self.inner.lock().expect("clients lock").get(&id).cloned();
        if let Some(entry) = entry {
            f(&mut entry.info.lock().expect("client lock"));
        }
    }

    /// A copy of one client's record.
    pub fn get(&self, id: u64) -> Option<ClientInfo> {
        let entry = self.inner.lock().expect("clients lock").get(&id).cloned()?;
        Some(entry.info.lock().expect("client lock").clone())
    }

    /// Copies of every record, by id.
    pub fn list(&self) -> Vec<ClientInfo> {
        let entries: Vec<Arc<Entry>> =
            self.inner.lock().expect("clients lock").values().cloned().collect();
        entries.iter().map(|e| e.info.lock().expect("client lock").clone()).collect()
    }

    /// Number of connected clients.
    pub fn len(&self) -> usize {
        self.inner.lock().expect("clients lock").len()
    }

    /// True when no client is connected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Closes every client for which `filter` is true; returns how many.
    pub fn kill(&self, filter: impl Fn(&ClientInfo) -> bool) -> usize {
        let entries: Vec<Arc<Entry>> =
            self.inner.lock().expect("clients lock").values().cloned().collect();
        let mut n = 0;
        for e in entries {
            if filter(&e.info.lock().expect("client lock")) {
                let _ = e.kill.send(true);
                n += 1;
            }
        }
        n
    }
}
