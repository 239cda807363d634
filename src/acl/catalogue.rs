//! The commands ACL rules name: every command and subcommand of
//! [`crate::commands`], numbered, with its categories as a bit set.
//!
//! Valkey's aliases (`SENTINEL PRIMARIES` ...) are not entries of their own:
//! a rule or a check that names one means the redis name it stands for, so
//! `-sentinel|masters` also denies `SENTINEL PRIMARIES`.

use std::sync::LazyLock;

use crate::commands::{COMMANDS, alias_of};

/// redis 7.0's categories, in its order (`ACL CAT`, and the order in which
/// descriptions try them).
pub const CATEGORIES: [&str; 21] = [
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// The bit of a category name (case-insensitive), if it is one.
pub fn category_bit(name: &str) -> Option<u32> {
    CATEGORIES.iter().position(|c| c.eq_ignore_ascii_case(name)).map(|i| 1 << i)
}

/// One command or subcommand.
#[derive(Debug)]
pub struct Entry {
    /// `ping`, `sentinel|masters`.
    pub fullname: String,
    /// The subcommands' ids (empty for plain commands and subcommands).
    pub subs: Vec<usize>,
    /// True for a subcommand.
    pub is_sub: bool,
    /// Category bits ([`category_bit`]).
    pub categories: u32,
    /// Newer than 7.0: not listed by `ACL CAT`, whose output tools compare.
    pub newer: bool,
}

/// Every entry, parents before their subcommands, in table order.
pub static CATALOGUE: LazyLock<Vec<Entry>> = LazyLock::new(build);

fn categories(acl: &[&str]) -> u32 {
    acl.iter().filter_map(|c| category_bit(c.trim_start_matches('@'))).fold(0, |a, b| a | b)
}

fn build() -> Vec<Entry> {
    let mut out = Vec::new();
    for c in COMMANDS {
        let parent = out.len();
        out.push(Entry {
            fullname: c.name.to_string(),
            subs: Vec::new(),
            is_sub: false,
            categories: categories(c.acl),
            newer: c.newer,
        });
        for s in c.subcommands {
            let fullname = format!("{}|{}", c.name, s.name);
            if alias_of(&fullname).is_some() {
                continue;
            }
            let id = out.len();
            out[parent].subs.push(id);
            out.push(Entry {
                fullname,
                subs: Vec::new(),
                is_sub: true,
                categories: categories(s.acl),
                newer: s.newer,
            });
        }
    }
    out
}

/// The id of `fullname` (`ping`, `client|kill`; case-insensitive; an alias
/// is its redis name).
pub fn find(fullname: &str) -> Option<usize> {
    let lower = fullname.to_ascii_lowercase();
    let name = alias_of(&lower).unwrap_or(&lower);
    CATALOGUE.iter().position(|e| e.fullname == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(category: &str) -> Vec<&'static str> {
        let bit = category_bit(category).unwrap();
        CATALOGUE
            .iter()
            .filter(|e| e.categories & bit != 0 && !e.newer)
            .map(|e| e.fullname.as_str())
            .collect()
    }

    /// The memberships redis-sentinel 7.0.15 answers to `ACL CAT <name>`.
    #[test]
    fn categories_are_redis_sentinels() {
        assert_eq!(
            members("pubsub"),
            ["psubscribe", "publish", "punsubscribe", "subscribe", "unsubscribe"]
        );
        assert_eq!(members("fast"), ["auth", "hello", "ping", "publish", "role"]);
        let admin = members("admin");
        assert_eq!(admin.len(), 38, "{admin:?}");
        assert!(admin.contains(&"sentinel|set") && admin.contains(&"client|kill"));
        assert!(!admin.contains(&"sentinel|help") && !admin.contains(&"acl|whoami"));
        let dangerous = members("dangerous");
        assert_eq!(dangerous.len(), 39);
        assert!(dangerous.contains(&"info"));
        let slow = members("slow");
        assert_eq!(
            slow.len() + members("fast").len(),
            CATALOGUE.iter().filter(|e| !e.newer).count()
        );
        assert!(members("connection").contains(&"client|kill"));
        assert!(!members("connection").contains(&"client"));
        assert!(members("keyspace").is_empty());
    }

    #[test]
    fn aliases_are_their_redis_names() {
        assert_eq!(find("SENTINEL|PRIMARIES"), find("sentinel|masters"));
        assert!(find("sentinel|masters").is_some());
        assert!(find("nosuch").is_none());
    }
}
