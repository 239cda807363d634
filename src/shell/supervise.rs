//! Telling a supervisor how the process is doing (`supervised`,
//! `--supervised`).
//!
//! - **systemd** (`Type=notify`), through the `sd-notify` crate on
//!   `$NOTIFY_SOCKET`: `STATUS=` lines a person can read while starting and
//!   then whenever the summary changes ("monitoring 1 master(s), 2 peer
//!   sentinel(s)..."), `READY=1` once the listeners are open and the config
//!   (with a generated myid) is on disk, `STOPPING=1` at shutdown, and
//!   `WATCHDOG=1` at half of `$WATCHDOG_USEC` when systemd asks for it
//!   (`WatchdogSec=`). Each watchdog ping follows a round trip through the
//!   actor that owns the core: a core that stopped handling its inputs stops
//!   the pings, and systemd restarts the process; a timer that still fires
//!   proves nothing.
//! - **upstart** (`expect stop`): the process stops itself with SIGSTOP once
//!   ready, and upstart continues it. redis does it before it even listens;
//!   here it waits until the listeners are open, which is what upstart's
//!   readiness means.
//! - **auto**: upstart when `UPSTART_JOB` is set, systemd when
//!   `NOTIFY_SOCKET` is set, else nothing (redis's rule).
//!
//! `$NOTIFY_SOCKET` may name a file (systemd's `/run/systemd/notify`,
//! which `sd-notify` serves) or an abstract socket (`@name`, as libsystemd,
//! which Debian's redis uses, accepts it; `sd-notify` 0.5 would look for a
//! file named `@name`): `send_states` sends to the latter itself.
//!
//! As in redis, a supervisor that was asked for but not found (no
//! `NOTIFY_SOCKET`) is a warning, not an error, and INFO's
//! `process_supervised` says `no`; when one is found, `daemonize yes` is
//! ignored.

use std::collections::BTreeSet;
use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::sync::Arc;
use std::time::Duration;

use sd_notify::NotifyState;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use crate::config::Supervised;
use crate::core::View;
use crate::server::Shared;

/// The supervisor found at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Supervisor {
    /// None (or none found).
    None,
    /// systemd, with the watchdog period it asked for, if any.
    Systemd {
        /// `$WATCHDOG_USEC`.
        watchdog: Option<Duration>,
    },
    /// upstart (`$UPSTART_JOB`).
    Upstart,
}

impl Supervisor {
    /// Resolves `supervised` against the environment, logging as redis
    /// does. Call it after logging is set up.
    pub fn detect(mode: Supervised) -> Supervisor {
        let env = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        let mode = match mode {
            Supervised::Auto if env("UPSTART_JOB") => {
                debug!("Upstart supervision detected.");
                Supervised::Upstart
            }
            Supervised::Auto if env("NOTIFY_SOCKET") => {
                debug!("Systemd supervision detected.");
                Supervised::Systemd
            }
            other => other,
        };
        match mode {
            Supervised::Upstart if !env("UPSTART_JOB") => {
                warn!("upstart supervision requested, but UPSTART_JOB not found!");
                Supervisor::None
            }
            Supervised::Upstart => {
                info!("supervised by upstart, will stop to signal readiness.");
                Supervisor::Upstart
            }
            Supervised::Systemd if !env("NOTIFY_SOCKET") => {
                warn!("systemd supervision error: NOTIFY_SOCKET not found!");
                Supervisor::None
            }
            Supervised::Systemd => {
                info!(
                    "Supervised by systemd. Please make sure you set appropriate values for \
                     TimeoutStartSec and TimeoutStopSec in your service unit."
                );
                let supervisor = Supervisor::Systemd { watchdog: sd_notify::watchdog_enabled() };
                supervisor.notify(&[NotifyState::Status("Starting")]);
                supervisor
            }
            Supervised::No | Supervised::Auto => Supervisor::None,
        }
    }

    /// INFO's `process_supervised`.
    pub fn info_name(self) -> &'static str {
        match self {
            Supervisor::None => "no",
            Supervisor::Systemd { .. } => "systemd",
            Supervisor::Upstart => "upstart",
        }
    }

    /// Whether a supervisor runs the process (then `daemonize` is ignored).
    pub fn is_some(self) -> bool {
        self != Supervisor::None
    }

    /// Sends `states` to systemd; nothing for other supervisors.
    fn notify(self, states: &[NotifyState]) {
        if let Supervisor::Systemd { .. } = self
            && let Err(e) = send_states(states)
        {
            warn!("systemd supervision error: sd_notify: {e}");
        }
    }

    /// The process is ready: listening, its config on disk.
    pub fn ready(self, status: &str) {
        match self {
            Supervisor::Systemd { .. } => {
                self.notify(&[NotifyState::Status(status), NotifyState::Ready])
            }
            // SAFETY: raise only signals this process.
            Supervisor::Upstart => unsafe {
                libc::raise(libc::SIGSTOP);
            },
            Supervisor::None => {}
        }
    }

    /// The process is stopping.
    pub fn stopping(self) {
        self.notify(&[NotifyState::Status("Stopping"), NotifyState::Stopping]);
    }

    /// Runs until the process ends: keeps `STATUS=` up to date and, when
    /// systemd asked for it, pings its watchdog after each round trip
    /// through the actor. Spawn it once the process is ready.
    pub async fn watch(self, shared: Arc<Shared>) {
        let Supervisor::Systemd { watchdog } = self else { return };
        // Half the watchdog period, as systemd advises; the status alone
        // is refreshed every second.
        let every =
            watchdog.map_or(Duration::from_secs(1), |w| (w / 2).max(Duration::from_millis(1)));
        let mut ticks = tokio::time::interval(every.min(Duration::from_secs(1)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_status = String::new();
        let mut last_ping = tokio::time::Instant::now();
        loop {
            ticks.tick().await;
            if watchdog.is_some() && last_ping.elapsed() + Duration::from_millis(1) >= every {
                if actor_answers(&shared.view_refresh, every).await {
                    self.notify(&[NotifyState::Watchdog]);
                    last_ping = tokio::time::Instant::now();
                } else {
                    warn!("the core did not answer within {every:?}: no watchdog ping");
                }
            }
            let status = status_line(&shared.view.load());
            if status != last_status {
                self.notify(&[NotifyState::Status(&status)]);
                last_status = status;
            }
        }
    }
}

/// Whether the actor answers a round trip within `limit`: it must take the
/// request from its queue (`Shared::view_refresh`, which it serves between
/// two inputs) and reply.
pub(super) async fn actor_answers(
    actor: &mpsc::Sender<oneshot::Sender<()>>,
    limit: Duration,
) -> bool {
    let (tx, rx) = oneshot::channel();
    let round_trip = async { actor.send(tx).await.is_ok() && rx.await.is_ok() };
    tokio::time::timeout(limit, round_trip).await.unwrap_or(false)
}

/// A one-line summary for `systemctl status`:
/// `monitoring 2 master(s), 2 peer sentinel(s), epoch 3; 1 master(s) down, 1 in failover; TILT`.
pub fn status_line(view: &View) -> String {
    let mut peers = BTreeSet::new();
    let (mut masters, mut down, mut failing_over) = (0, 0, 0);
    for master in view.masters.iter() {
        masters += 1;
        if master.instance.sdown_since.is_some() || master.odown_since.is_some() {
            down += 1;
        }
        if master.failover_state.is_some() {
            failing_over += 1;
        }
        peers.extend(master.sentinels.iter().filter_map(|s| s.instance.runid.clone()));
    }
    let mut line = format!(
        "monitoring {masters} master(s), {} peer sentinel(s), epoch {}",
        peers.len(),
        view.current_epoch
    );
    if down > 0 || failing_over > 0 {
        line.push_str(&format!("; {down} master(s) down, {failing_over} in failover"));
    }
    if view.tilt_since.is_some() {
        line.push_str("; TILT");
    }
    line
}

/// Sends `states` on `$NOTIFY_SOCKET`, one per line: through `sd-notify`
/// for a socket file, here for an abstract socket (`@name`).
fn send_states(states: &[NotifyState]) -> io::Result<()> {
    let Some(socket) = std::env::var_os("NOTIFY_SOCKET") else { return Ok(()) };
    let Some(name) = socket.as_bytes().strip_prefix(b"@") else {
        return sd_notify::notify(states);
    };
    let addr = SocketAddr::from_abstract_name(name)?;
    let message: String = states.iter().map(|s| format!("{s}\n")).collect();
    let sent = UnixDatagram::unbound()?.send_to_addr(message.as_bytes(), &addr)?;
    if sent == message.len() {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::WriteZero, "incomplete notify message"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_watchdog_needs_an_actor_that_answers() {
        let limit = Duration::from_millis(50);
        // An actor that serves its queue.
        let (tx, mut rx) = mpsc::channel::<oneshot::Sender<()>>(4);
        let serving = tokio::spawn(async move {
            while let Some(done) = rx.recv().await {
                let _ = done.send(());
            }
        });
        assert!(actor_answers(&tx, limit).await);
        serving.abort();
        // A stuck actor: requests queue up, nobody answers.
        let (tx, _stuck) = mpsc::channel::<oneshot::Sender<()>>(4);
        assert!(!actor_answers(&tx, limit).await);
        // A gone actor.
        let (tx, rx) = mpsc::channel::<oneshot::Sender<()>>(4);
        drop(rx);
        assert!(!actor_answers(&tx, limit).await);
    }

    #[test]
    fn status_names_masters_peers_trouble_and_tilt() {
        use crate::core::{MasterView, SentinelView};
        use crate::ids::{Epoch, RunId};
        let mut view = View::default();
        assert_eq!(status_line(&view), "monitoring 0 master(s), 0 peer sentinel(s), epoch 0");
        let peer = |id: char| {
            let mut s = SentinelView::default();
            s.instance.runid = Some(RunId::from(id.to_string().repeat(40)));
            s
        };
        for (name, down, failover) in [("a", true, Some("wait_start")), ("b", false, None)] {
            let mut m = MasterView::default();
            m.instance.name = name.into();
            m.odown_since = down.then_some(crate::millis::Millis(1));
            m.failover_state = failover;
            // The same peer watches both masters: counted once.
            m.sentinels = vec![peer('a'), peer('b')];
            view.masters.insert(name.into(), std::sync::Arc::new(m));
        }
        view.current_epoch = Epoch(3);
        view.tilt_since = Some(crate::millis::Millis(5));
        assert_eq!(
            status_line(&view),
            "monitoring 2 master(s), 2 peer sentinel(s), epoch 3; 1 master(s) down, 1 in failover; TILT"
        );
    }
}
