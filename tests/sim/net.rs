//! A seeded, sans-IO network: delays, loss, partitions, FIFO per direction.
//!
//! Modelled on str0m's `Netem` and raft-rs's harness `Network`: the network
//! owns a queue of deliveries ordered by (time, sequence number). Whoever
//! sends picks a connection and a direction; the network draws a delay from
//! its seeded generator and never lets a message overtake an earlier one in
//! the same direction of the same connection (TCP is a stream).
//!
//! Loss on a TCP stream is not a missing message but a broken connection, so
//! [`Net::roll_loss`] only answers "does this message break its
//! connection?"; the world turns a yes into a reset.
//!
//! Partitions are groups: two nodes can talk iff they are in the same group.
//! Every node starts in group 0.

use std::collections::BTreeMap;

use rsentinel::core::{Millis, Rng};

/// A process in the simulated world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeId {
    /// Sentinel number `i`.
    Sentinel(usize),
    /// Redis server number `i` (0 is the initial master).
    Redis(usize),
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NodeId::Sentinel(i) => write!(f, "S{i}"),
            NodeId::Redis(i) => write!(f, "R{i}"),
        }
    }
}

/// One TCP connection of the world (unique for the whole run: never reused,
/// unlike the cores' `LinkId`s, which restart at every sentinel restart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

/// The direction of a message on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dir {
    /// From the connecting sentinel to the server it connected to.
    ToTarget,
    /// From the server back to the connecting sentinel.
    ToOwner,
}

/// Network parameters.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// Smallest one-way delay.
    pub min_delay_ms: u64,
    /// Largest one-way delay.
    pub max_delay_ms: u64,
    /// Chance, in parts per million, that a message resets its connection.
    pub loss_ppm: u64,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig { min_delay_ms: 0, max_delay_ms: 5, loss_ppm: 0 }
    }
}

/// The network: a seeded delay/loss model, partitions and a delivery queue
/// of `D`s (the world's message type).
#[derive(Debug)]
pub struct Net<D> {
    rng: Rng,
    /// The parameters; may be changed between steps.
    pub config: NetConfig,
    groups: BTreeMap<NodeId, u32>,
    queue: BTreeMap<(Millis, u64), D>,
    seq: u64,
    /// The last scheduled delivery time per connection and direction.
    fifo: BTreeMap<(ConnId, Dir), Millis>,
}

impl<D> Net<D> {
    /// A whole network with this seed.
    pub fn new(seed: u64, config: NetConfig) -> Net<D> {
        Net {
            rng: Rng::new(seed),
            config,
            groups: BTreeMap::new(),
            queue: BTreeMap::new(),
            seq: 0,
            fifo: BTreeMap::new(),
        }
    }

    /// A one-way delay drawn from the configured range.
    pub fn delay(&mut self) -> Millis {
        let span = self.config.max_delay_ms.saturating_sub(self.config.min_delay_ms);
        Millis(self.config.min_delay_ms + self.rng.below(span + 1))
    }

    /// Sends `d` on `conn` in direction `dir`: it arrives after a random
    /// delay, never before what was sent earlier the same way.
    pub fn send(&mut self, now: Millis, conn: ConnId, dir: Dir, d: D) {
        let mut at = now + self.delay();
        let last = self.fifo.entry((conn, dir)).or_insert(Millis::ZERO);
        if at < *last {
            at = *last;
        }
        *last = at;
        self.push(at, d);
    }

    /// Schedules `d` at exactly `at` (local events: timeouts, resets).
    pub fn push(&mut self, at: Millis, d: D) {
        self.seq += 1;
        self.queue.insert((at, self.seq), d);
    }

    /// Forgets the FIFO bookkeeping of a closed connection.
    pub fn forget(&mut self, conn: ConnId) {
        self.fifo.remove(&(conn, Dir::ToTarget));
        self.fifo.remove(&(conn, Dir::ToOwner));
    }

    /// Whether the next message should break its connection.
    pub fn roll_loss(&mut self) -> bool {
        self.config.loss_ppm > 0 && self.rng.below(1_000_000) < self.config.loss_ppm
    }

    /// A draw in `0..n` from the network's generator (for the world's own
    /// small random choices, so that one seed drives everything).
    pub fn below(&mut self, n: u64) -> u64 {
        self.rng.below(n)
    }

    /// When the next delivery is due.
    pub fn next_time(&self) -> Option<Millis> {
        self.queue.keys().next().map(|&(t, _)| t)
    }

    /// The earliest delivery due at or before `now`.
    pub fn pop_due(&mut self, now: Millis) -> Option<D> {
        let (&key, _) = self.queue.iter().next()?;
        if key.0 > now {
            return None;
        }
        self.queue.remove(&key)
    }

    /// How many deliveries are in flight.
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }

    /// Whether `a` and `b` can exchange packets now.
    pub fn can_talk(&self, a: NodeId, b: NodeId) -> bool {
        self.group(a) == self.group(b)
    }

    fn group(&self, n: NodeId) -> u32 {
        self.groups.get(&n).copied().unwrap_or(0)
    }

    /// Splits the network: each slice of `sides` becomes its own island;
    /// nodes not named stay in group 0 together.
    pub fn partition(&mut self, sides: &[Vec<NodeId>]) {
        self.groups.clear();
        for (i, side) in sides.iter().enumerate() {
            for &n in side {
                self.groups.insert(n, i as u32 + 1);
            }
        }
    }

    /// Makes the network whole again.
    pub fn heal(&mut self) {
        self.groups.clear();
    }

    /// Whether the network is whole (no partition since the last heal).
    pub fn is_whole(&self) -> bool {
        self.groups.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_per_direction_and_seeded() {
        let run = |seed| {
            let mut net: Net<u32> =
                Net::new(seed, NetConfig { min_delay_ms: 0, max_delay_ms: 50, loss_ppm: 0 });
            for i in 0..100 {
                net.send(Millis(i / 10), ConnId(1), Dir::ToTarget, i as u32);
            }
            let mut got = Vec::new();
            while let Some(d) = net.pop_due(Millis(1000)) {
                got.push(d);
            }
            got
        };
        let a = run(7);
        assert_eq!(a, (0..100).collect::<Vec<_>>(), "one direction of one connection is FIFO");
        assert_eq!(a, run(7));
    }

    #[test]
    fn partitions() {
        let mut net: Net<()> = Net::new(1, NetConfig::default());
        let (s0, s1, r0) = (NodeId::Sentinel(0), NodeId::Sentinel(1), NodeId::Redis(0));
        assert!(net.can_talk(s0, r0) && net.is_whole());
        net.partition(&[vec![s0]]);
        assert!(!net.can_talk(s0, r0) && net.can_talk(s1, r0) && !net.is_whole());
        net.heal();
        assert!(net.can_talk(s0, r0));
    }
}
