//! HOSTNAMES: instances keep the name they were given; the shell tells the
//! core which address each name last led to.
//!
//! With `sentinel resolve-hostnames yes`, a master (`sentinel monitor`,
//! `SENTINEL MONITOR`), a replica (a master's INFO `slaveN:ip=<name>`, a
//! `known-replica` line) or a peer (a hello, a `known-sentinel` line) may be
//! known by a hostname. With `no`, a host that is not an IP literal is
//! refused where redis-sentinel refuses it (the config line, `SENTINEL
//! MONITOR`, an INFO line, a hello).
//!
//! The core never resolves a name: it is pure, and a lookup is I/O whose
//! answer changes over time. It keeps every [`Addr`] as given (a host
//! string and a port) and hands it as given to the shell in
//! `Output::Connect`. The shell resolves the host on every connection
//! attempt (`shell/link.rs`), so a name that now leads elsewhere (a
//! Kubernetes pod restarted with a new IP) is followed at the next
//! reconnect, and reports in `Input::LinkUp` the address the socket
//! actually reached (`remote_addr`). [`Names::learn`] records it: name →
//! IP, the latest connection winning.
//!
//! That table is all the core needs to do what redis-sentinel does with the
//! `ip` it keeps beside each `hostname` (`sentinelAddr`):
//!
//! - *Matching* ([`Names::same`], redis-sentinel's
//!   `sentinelAddrOrHostnameEqual` and `sentinelAddrEqualsHostname`): two
//!   addresses are one instance when the ports are equal and the hosts are
//!   equal (names compared without case) or lead to the same IP. So a
//!   replica the master's INFO reports as `127.0.0.1:6380` is the replica
//!   known as `localhost:6380`, a hello giving `127.0.0.1` for a master
//!   monitored as `localhost` is no address change, and a replica whose
//!   INFO says `master_host:127.0.0.1` follows the master `localhost`. A
//!   name is matched by address once some connection to it came up; until
//!   then only by name. A replica that was learned both ways before that
//!   (its name from a `known-replica` line, its IP from the master's INFO)
//!   is merged when the name's address is learned
//!   (`Sentinel::merge_replica_aliases`): the entry by name is kept.
//! - *Announcing* ([`Names::announce`], redis-sentinel's
//!   `announceSentinelAddr`): with `announce-hostnames yes` every address
//!   the sentinel shows or sends (replies, events, hellos, `SLAVEOF`,
//!   `is-master-down-by-addr`, script arguments) is the host as given; with
//!   `no`, a name is replaced by its learned IP. Before the first
//!   connection to a name, the name itself is shown (redis-sentinel
//!   resolves when the instance is created, we learn at the first connect).
//!
//! The configuration file keeps the names as given whatever
//! `announce-hostnames` says (redis-sentinel writes the announced form, so
//! with `announce-hostnames no` it replaces a monitored name by the IP it
//! had at the time).

use std::borrow::Cow;

use ::core::net::IpAddr;
use std::collections::BTreeMap;

use super::ids::Addr;

/// Whether `host` is an IP literal (v4 or v6), as opposed to a name.
pub(crate) fn is_ip(host: &str) -> bool {
    host.parse::<IpAddr>().is_ok()
}

/// What the shell's connections taught about names: the IP each name led
/// to the last time a connection to it came up.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    /// Lowercase name → IP of the last connection made through it.
    ips: BTreeMap<String, IpAddr>,
}

impl Names {
    /// A connection to `host` reached `remote` (an IP); true when that is
    /// news (a first address for the name, or a new one).
    pub fn learn(&mut self, host: &str, remote: &str) -> bool {
        let Ok(ip) = remote.parse::<IpAddr>() else { return false };
        if is_ip(host) {
            return false;
        }
        self.ips.insert(host.to_ascii_lowercase(), ip) != Some(ip)
    }

    /// The IP `host` stands for: itself if it is one, else the learned IP.
    pub fn ip_of(&self, host: &str) -> Option<IpAddr> {
        host.parse::<IpAddr>().ok().or_else(|| self.ips.get(&host.to_ascii_lowercase()).copied())
    }

    /// Whether two hosts name the same machine: equal names (without case)
    /// or the same IP.
    pub fn same_host(&self, a: &str, b: &str) -> bool {
        if a.eq_ignore_ascii_case(b) {
            return true;
        }
        matches!((self.ip_of(a), self.ip_of(b)), (Some(x), Some(y)) if x == y)
    }

    /// Whether two addresses are one instance.
    pub fn same(&self, a: &Addr, b: &Addr) -> bool {
        a.port == b.port && self.same_host(&a.host, &b.host)
    }

    /// `addr` as the sentinel shows it: as given with `announce-hostnames
    /// yes`, else with a name replaced by its learned IP.
    pub fn announce<'a>(&self, addr: &'a Addr, hostnames: bool) -> Cow<'a, Addr> {
        if hostnames || is_ip(&addr.host) {
            return Cow::Borrowed(addr);
        }
        match self.ip_of(&addr.host) {
            Some(ip) => Cow::Owned(Addr::new(ip.to_string(), addr.port)),
            None => Cow::Borrowed(addr),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(pairs: &[(&str, &str)]) -> Names {
        let mut n = Names::default();
        for (host, ip) in pairs {
            n.learn(host, ip);
        }
        n
    }

    #[test]
    fn learn_keeps_the_latest_address_of_a_name() {
        let mut n = Names::default();
        assert!(n.learn("Redis-0.svc", "10.0.0.5"));
        assert!(!n.learn("redis-0.svc", "10.0.0.5"), "same address: no news");
        assert_eq!(n.ip_of("REDIS-0.SVC"), Some("10.0.0.5".parse().unwrap()));
        assert!(n.learn("redis-0.svc", "10.0.0.9"), "the pod moved");
        assert_eq!(n.ip_of("redis-0.svc"), Some("10.0.0.9".parse().unwrap()));
        assert!(!n.learn("10.0.0.1", "10.0.0.1"), "IP literals are not names");
        assert!(!n.learn("x", "not-an-ip"));
        assert_eq!(n.ip_of("x"), None);
    }

    #[test]
    fn same_matches_names_and_addresses() {
        let n = names(&[("localhost", "127.0.0.1"), ("redis-1", "10.0.0.7")]);
        let a = |h: &str, p| Addr::new(h, p);
        let cases = [
            (a("localhost", 6380), a("127.0.0.1", 6380), true),
            (a("127.0.0.1", 6380), a("LocalHost", 6380), true),
            (a("localhost", 6380), a("127.0.0.1", 6381), false),
            (a("redis-1", 6379), a("localhost", 6379), false),
            (a("redis-2", 6379), a("redis-2", 6379), true),
            (a("redis-2", 6379), a("10.0.0.8", 6379), false),
            (a("::1", 6379), a("0:0::1", 6379), true),
        ];
        for (x, y, want) in cases {
            assert_eq!(n.same(&x, &y), want, "{x} vs {y}");
            assert_eq!(n.same(&y, &x), want, "{y} vs {x}");
        }
    }

    #[test]
    fn announce_replaces_known_names_unless_hostnames_are_announced() {
        let n = names(&[("localhost", "::1")]);
        let named = Addr::new("localhost", 6379);
        assert_eq!(*n.announce(&named, true), named);
        assert_eq!(*n.announce(&named, false), Addr::new("::1", 6379));
        let unknown = Addr::new("db.example", 6379);
        assert_eq!(*n.announce(&unknown, false), unknown, "never connected: shown as given");
        let ip = Addr::new("10.0.0.1", 1);
        assert_eq!(*n.announce(&ip, false), ip);
    }
}
