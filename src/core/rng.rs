//! The core's only source of randomness: a small seeded generator.
//!
//! The seed comes from the shell (OS entropy) or from a test, so a run can be
//! replayed exactly. SplitMix64: tiny, fast, statistically fine for jitter
//! and ids; not for secrets.

/// A seeded pseudo-random generator.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator with this seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below needs a non-empty range");
        self.next_u64() % n
    }

    /// 40 lowercase hex characters: a new run id.
    pub fn hex40(&mut self) -> String {
        let mut s = String::with_capacity(40);
        while s.len() < 40 {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(40);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!(a.hex40(), b.hex40());
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
        let id = Rng::new(3).hex40();
        assert!(id.len() == 40 && id.bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
