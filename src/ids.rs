//! Identities shared by the core, the config and the server: a leaf, so that
//! the config can name addresses and run ids without importing the core.

use std::fmt;

use compact_str::CompactString;

/// A sentinel epoch (`current-epoch`, `config-epoch`, `leader-epoch`): a
/// count of elections, compared and raised by one, never mixed with other
/// numbers. Shown as the plain number (config lines, events, replies), and
/// so is its `Debug` form, which the config golden files print.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Epoch(pub u64);

impl fmt::Debug for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Epoch {
    /// Epoch 0: no election seen yet.
    pub const ZERO: Epoch = Epoch(0);

    /// The largest epoch taken from a peer or a client (2^62): a hello, a
    /// vote request or a vote carrying more is refused. Epochs grow by one
    /// per election, so no fleet gets near it; the room left above keeps
    /// every epoch we may reach a valid RESP integer (a signed 64-bit
    /// number, which peers parse vote epochs as). redis-sentinel takes any
    /// unsigned number from a hello, and reads a negative one in a vote
    /// request as 2^64-1 (spec §9.2 #8): one forged message could spend the
    /// whole epoch space.
    pub const MAX_ACCEPTED: Epoch = Epoch(1 << 62);

    /// An epoch received as decimal text (a hello, a reply field): `None`
    /// unless it is a number in 0..=[`Epoch::MAX_ACCEPTED`].
    pub fn parse_accepted(text: &str) -> Option<Epoch> {
        text.parse().ok().map(Epoch).filter(|e| *e <= Epoch::MAX_ACCEPTED)
    }

    /// An epoch received as a RESP integer (a vote request, a vote):
    /// `None` unless it is in 0..=[`Epoch::MAX_ACCEPTED`].
    pub fn from_wire(n: i64) -> Option<Epoch> {
        u64::try_from(n).ok().map(Epoch).filter(|e| *e <= Epoch::MAX_ACCEPTED)
    }

    /// The epoch after this one (a new election).
    pub fn next(self) -> Epoch {
        Epoch(self.0.saturating_add(1))
    }

    /// The number.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl std::str::FromStr for Epoch {
    type Err = std::num::ParseIntError;

    /// A decimal number (hellos, replies).
    fn from_str(s: &str) -> Result<Epoch, Self::Err> {
        s.parse().map(Epoch)
    }
}

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An instance address as the sentinel announces it: a host (an IP literal,
/// or a hostname with `resolve-hostnames yes`) and a TCP port.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Addr {
    /// IP literal or hostname, as written in the config or reported by INFO.
    /// Kept inline up to 24 bytes (every IPv4 literal, most names): an
    /// address is compared at most steps (a hello's sender against the
    /// peer known, a reply's instance), and inline that reads no second
    /// cache line, cold with a thousand masters.
    pub host: CompactString,
    /// TCP port.
    pub port: u16,
}

impl Addr {
    /// Builds an address from a host and a port.
    pub fn new(host: impl Into<CompactString>, port: u16) -> Addr {
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

/// A run id: a sentinel's `myid`, or a Redis server's `run_id` (40
/// characters).
///
/// Kept inline when it has at most [`RUN_ID_INLINE`] bytes, as every run
/// id a Redis server or a sentinel makes does; on the heap otherwise (what
/// a client or a peer may send). Run ids key the maps of peers that every
/// master's rules look into at each visit: inline, a comparison reads
/// bytes in the map's node instead of following a pointer to a string
/// elsewhere on the heap, cold in the cache with a thousand masters.
#[derive(Clone)]
pub struct RunId(Repr);

/// Bytes of a run id kept inline.
pub const RUN_ID_INLINE: usize = 40;

#[derive(Clone)]
enum Repr {
    Inline { len: u8, bytes: [u8; RUN_ID_INLINE] },
    Heap(Box<str>),
}

impl RunId {
    /// A run id of `len` (at most [`RUN_ID_INLINE`]) bytes kept inline.
    fn inline(len: u8, s: &str) -> RunId {
        let mut bytes = [0; RUN_ID_INLINE];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        RunId(Repr::Inline { len, bytes })
    }

    /// The run id as a string.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Only ever filled from a `str` (`RunId::inline`).
            Repr::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Repr::Heap(s) => s,
        }
    }
}

impl From<String> for RunId {
    fn from(s: String) -> Self {
        match u8::try_from(s.len()) {
            Ok(len) if s.len() <= RUN_ID_INLINE => RunId::inline(len, &s),
            _ => RunId(Repr::Heap(s.into_boxed_str())),
        }
    }
}

impl From<&str> for RunId {
    fn from(s: &str) -> Self {
        match u8::try_from(s.len()) {
            Ok(len) if s.len() <= RUN_ID_INLINE => RunId::inline(len, s),
            _ => RunId(Repr::Heap(s.into())),
        }
    }
}

/// Maps keyed by run id are searched with a `&str` (a hello's field read
/// in place): equality, order and hash are those of [`RunId::as_str`].
impl std::borrow::Borrow<str> for RunId {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl Default for RunId {
    fn default() -> Self {
        RunId::from(String::new())
    }
}

impl PartialEq for RunId {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RunId {}

impl PartialOrd for RunId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RunId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for RunId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for RunId {
    /// As the tuple struct it was: `RunId("…")`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RunId").field(&self.as_str()).finish()
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run ids kept inline and on the heap read back as given, and order
    /// and compare as their strings do, whichever way each is kept.
    #[test]
    fn run_ids_compare_as_their_strings_inline_or_not() {
        let texts =
            ["", "b", &"a".repeat(40), &"a".repeat(41), &"b".repeat(40), "é".repeat(30).as_str()]
                .map(String::from);
        let ids = texts.clone().map(RunId::from);
        for (a, ta) in ids.iter().zip(&texts) {
            assert_eq!(a.as_str(), ta);
            assert_eq!(a.to_string(), *ta);
            for (b, tb) in ids.iter().zip(&texts) {
                assert_eq!(a.cmp(b), ta.cmp(tb), "{ta:?} against {tb:?}");
                assert_eq!(a == b, ta == tb);
            }
        }
        assert_eq!(format!("{:?}", ids[1]), r#"RunId("b")"#);
        // Made from a borrowed string, the same ids; a map keyed by them is
        // searched by the string.
        let map: std::collections::BTreeMap<RunId, usize> =
            texts.iter().map(|t| RunId::from(t.as_str())).zip(0..).collect();
        for (i, t) in texts.iter().enumerate() {
            assert_eq!(RunId::from(t.as_str()), ids[i]);
            assert_eq!(map.get(t.as_str()), Some(&i), "{t:?}");
        }
        assert_eq!(map.get("c"), None);
    }
}
