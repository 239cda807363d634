//! The process's monotonic clock, in the core's [`Millis`]: the shell's
//! actor reads it to feed the core, and the server to turn the view's
//! times into ages. Below both, so that the server need not import the
//! shell.

use tokio::time::Instant;

use crate::millis::Millis;

/// Milliseconds since the process started, on a monotonic clock (tokio's,
/// so tests with paused time control it).
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: Instant,
}

impl Clock {
    /// A clock starting now.
    pub fn start() -> Clock {
        Clock { origin: Instant::now() }
    }

    /// The current time.
    pub fn now(&self) -> Millis {
        Millis(self.origin.elapsed().as_millis() as u64)
    }

    /// The instant at which the clock reads `t`.
    pub fn instant(&self, t: Millis) -> Instant {
        self.origin + std::time::Duration::from_millis(t.as_u64())
    }
}
