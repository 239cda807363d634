//! `ACL LOG`: the recent authentication failures and permission denials,
//! newest first, with redis's grouping (the same reason, object and user
//! within a minute bump one entry's count).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::resp::Frame;

/// Entries this close in time, with the same reason, object and user, are
/// one entry with a count.
const GROUPING: Duration = Duration::from_secs(60);
/// How many of the newest entries are searched for one to group with.
const GROUP_SCAN: usize = 10;

/// Why an entry was logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A command the user may not run.
    Command,
    /// A channel the user may not use.
    Channel,
    /// A failed AUTH or HELLO AUTH.
    Auth,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Channel => "channel",
            Reason::Auth => "auth",
        }
    }
}

#[derive(Debug)]
struct Entry {
    count: u64,
    reason: Reason,
    object: String,
    username: String,
    at: Instant,
    client_info: String,
}

/// The log, bounded by `acllog-max-len`.
#[derive(Debug)]
pub struct AclLog {
    entries: Mutex<VecDeque<Entry>>,
    max_len: usize,
}

impl AclLog {
    /// An empty log keeping at most `max_len` entries.
    pub fn new(max_len: usize) -> AclLog {
        AclLog { entries: Mutex::new(VecDeque::new()), max_len }
    }

    /// Records one denial (`client_info` is the client's CLIENT LIST line).
    pub fn add(&self, reason: Reason, object: &str, username: &str, client_info: String) {
        let now = Instant::now();
        let mut entries = self.entries.lock().expect("acl log lock");
        let similar = entries.iter().take(GROUP_SCAN).position(|e| {
            e.reason == reason
                && e.object == object
                && e.username == username
                && now.duration_since(e.at) <= GROUPING
        });
        if let Some(i) = similar {
            let mut e = entries.remove(i).expect("found");
            e.count += 1;
            e.at = now;
            e.client_info = client_info;
            entries.push_front(e);
            return;
        }
        entries.push_front(Entry {
            count: 1,
            reason,
            object: object.to_string(),
            username: username.to_string(),
            at: now,
            client_info,
        });
        entries.truncate(self.max_len);
    }

    /// Forgets every entry (`ACL LOG RESET`).
    pub fn reset(&self) {
        self.entries.lock().expect("acl log lock").clear();
    }

    /// The newest `count` entries as `ACL LOG` answers them.
    pub fn frames(&self, count: usize) -> Frame {
        let now = Instant::now();
        let entries = self.entries.lock().expect("acl log lock");
        Frame::Array(
            entries
                .iter()
                .take(count)
                .map(|e| {
                    Frame::map([
                        ("count", Frame::Integer(e.count as i64)),
                        ("reason", Frame::bulk(e.reason.as_str())),
                        ("context", Frame::bulk("toplevel")),
                        ("object", Frame::bulk(e.object.as_str())),
                        ("username", Frame::bulk(e.username.as_str())),
                        ("age-seconds", Frame::Double(now.duration_since(e.at).as_secs_f64())),
                        ("client-info", Frame::bulk(e.client_info.as_str())),
                    ])
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len(log: &AclLog) -> usize {
        match log.frames(usize::MAX) {
            Frame::Array(v) => v.len(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn groups_and_bounds() {
        let log = AclLog::new(2);
        log.add(Reason::Auth, "AUTH", "u", "id=1".into());
        log.add(Reason::Auth, "AUTH", "u", "id=2".into());
        assert_eq!(len(&log), 1, "the same failure again is one entry");
        log.add(Reason::Command, "sentinel|set", "u", "id=2".into());
        log.add(Reason::Channel, "+sdown", "u", "id=2".into());
        assert_eq!(len(&log), 2, "bounded by acllog-max-len");
        let Frame::Array(entries) = log.frames(1) else { unreachable!() };
        let Frame::Map(fields) = &entries[0] else { unreachable!() };
        assert_eq!(fields[1].1, Frame::bulk("channel"), "newest first");
        log.reset();
        assert_eq!(len(&log), 0);
    }
}
