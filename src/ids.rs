//! Identities shared by the core, the config and the server: a leaf, so that
//! the config can name addresses and run ids without importing the core.

use std::fmt;

/// A sentinel epoch (`current-epoch`, `config-epoch`, `leader-epoch`).
pub type Epoch = u64;

/// An instance address as the sentinel announces it: a host (an IP literal,
/// or a hostname with `resolve-hostnames yes`) and a TCP port.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Addr {
    /// IP literal or hostname, as written in the config or reported by INFO.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl Addr {
    /// Builds an address from a host and a port.
    pub fn new(host: impl Into<String>, port: u16) -> Addr {
        Addr { host: host.into(), port }
    }

    /// The `ip:port` name redis-sentinel gives a replica (`[ip]:port` for IPv6).
    pub fn name(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for Addr {
    /// `host port`, the form used in event messages and config lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.host, self.port)
    }
}

/// A 40-character run id: a sentinel's `myid`, or a Redis server's `run_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(pub String);

impl RunId {
    /// The run id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
