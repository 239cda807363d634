//! Time as the core sees it: plain milliseconds handed in by the shell.
//!
//! A leaf, below the config (which stores periods in milliseconds) and the
//! core (which runs on them); the shell's clock turns its monotonic clock
//! into them.

use std::fmt;
use std::ops::{Add, Sub};

/// A point in time or a duration, in milliseconds.
///
/// The core never reads a clock: the shell converts its monotonic clock to
/// `Millis` and passes it in with every input, and tests pass any value they
/// like. Subtraction saturates at zero so that "time since" never underflows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl Millis {
    /// Zero milliseconds.
    pub const ZERO: Millis = Millis(0);

    /// The number of milliseconds.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl Add for Millis {
    type Output = Millis;
    fn add(self, rhs: Millis) -> Millis {
        Millis(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Millis {
    type Output = Millis;
    fn sub(self, rhs: Millis) -> Millis {
        Millis(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
