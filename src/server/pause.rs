//! `CLIENT PAUSE`: client commands wait while a pause lasts, as in
//! redis-sentinel 7.0 (checked against it): `ALL` (the default) holds every
//! command, even `CLIENT UNPAUSE` and `INFO` from other connections; `WRITE`
//! holds only commands flagged `write` or `may_replicate` (here `PUBLISH`).
//! A second pause extends the first (the later end, the wider mode);
//! `CLIENT UNPAUSE` ends it. Commands are held after their arity and
//! authentication checks, which answer at once. The sentinel's own
//! monitoring never pauses.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::watch;
use tokio::time::Instant;

/// The current pause, if any.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct State {
    /// When it ends (`None`: no pause).
    until: Option<Instant>,
    /// `ALL` rather than `WRITE`.
    all: bool,
}

/// The pause shared by every connection.
#[derive(Debug)]
pub struct Pause {
    state: watch::Sender<State>,
    /// False while no pause was set since the last one ended: every command
    /// passes by looking at this alone. Written only under the state's lock.
    set: AtomicBool,
}

impl Default for Pause {
    fn default() -> Pause {
        Pause { state: watch::Sender::new(State::default()), set: AtomicBool::new(false) }
    }
}

impl Pause {
    /// Pauses until `until`, every command (`all`) or only writes.
    pub fn pause(&self, until: Instant, all: bool) {
        let now = Instant::now();
        self.state.send_modify(|s| {
            match s.until {
                Some(end) if end > now => {
                    *s = State { until: Some(end.max(until)), all: s.all || all }
                }
                _ => *s = State { until: Some(until), all },
            }
            self.set.store(true, Ordering::Release);
        });
    }

    /// Ends the pause (`CLIENT UNPAUSE`).
    pub fn unpause(&self) {
        self.state.send_modify(|s| {
            *s = State::default();
            self.set.store(false, Ordering::Release);
        });
    }

    /// Waits while a pause holds a command (`write`: flagged `write` or
    /// `may_replicate`).
    pub async fn wait(&self, write: bool) {
        // Every command passes here: look without taking a lock first.
        if !self.set.load(Ordering::Acquire) {
            return;
        }
        let now = Instant::now();
        self.state.send_if_modified(|s| {
            // A pause over: forget it, so that commands pass quickly again.
            let over = s.until.is_some_and(|u| u <= now);
            if over {
                *s = State::default();
                self.set.store(false, Ordering::Release);
            }
            over
        });
        let mut rx = self.state.subscribe();
        loop {
            let s = *rx.borrow_and_update();
            let Some(until) = s.until.filter(|u| *u > Instant::now() && (s.all || write)) else {
                return;
            };
            tokio::select! {
                _ = tokio::time::sleep_until(until) => {}
                _ = rx.changed() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn all_holds_every_command_write_only_writes() {
        let pause = Pause::default();
        let start = Instant::now();
        pause.pause(start + Duration::from_millis(100), false);
        pause.wait(false).await;
        assert_eq!(Instant::now(), start);
        pause.wait(true).await;
        assert_eq!(Instant::now(), start + Duration::from_millis(100));
        pause.pause(Instant::now() + Duration::from_millis(50), true);
        // A shorter WRITE pause does not shorten or narrow the ALL one.
        pause.pause(Instant::now() + Duration::from_millis(10), false);
        pause.wait(false).await;
        assert_eq!(Instant::now(), start + Duration::from_millis(150));
    }

    #[tokio::test(start_paused = true)]
    async fn unpause_releases_waiters() {
        let pause = std::sync::Arc::new(Pause::default());
        let start = Instant::now();
        pause.pause(start + Duration::from_secs(100), true);
        let p = pause.clone();
        let waiter = tokio::spawn(async move { p.wait(false).await });
        tokio::time::sleep(Duration::from_secs(1)).await;
        pause.unpause();
        waiter.await.unwrap();
        assert!(Instant::now() < start + Duration::from_secs(2));
    }
}
