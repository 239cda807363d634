//! The tokio shell: sockets, the actor that owns the core, and
//! the RESP server, wired together by [`run`].

mod actor;
mod link;
mod listen;

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;
use tokio::sync::{broadcast, mpsc, watch};
use tracing::{info, warn};

use crate::clock::Clock;
pub use actor::ConfigFile;

use crate::config::{Config, Format};
use crate::core::Sentinel;
use crate::server::{self, AclLog, Clients, Pause, ServerFacts, Shared, Stats};

/// The Redis version rsentinel reports (clients branch on it).
pub const REDIS_VERSION: &str = "7.0.15";

/// Everything [`run`] needs.
#[derive(Debug)]
pub struct Startup {
    /// The loaded configuration.
    pub config: Config,
    /// The config file's absolute path.
    pub config_path: PathBuf,
    /// The config file's text.
    pub config_text: String,
    /// The config file's format (how it is rewritten).
    pub config_format: Format,
    /// Seed for the core's randomness.
    pub seed: u64,
}

/// Binds the listeners, starts the core, serves until SIGTERM/SIGINT or
/// SHUTDOWN. Returns the process exit code.
pub async fn run(startup: Startup) -> std::io::Result<i32> {
    let Startup { config, config_path, config_text, config_format, seed } = startup;
    // SIGTERM and SIGINT are caught from here on: a supervisor that stops
    // us while we bind (a test, a fast restart) gets a clean exit, not the
    // default action.
    use tokio::signal::unix::{SignalKind, signal};
    let signals = (signal(SignalKind::terminate())?, signal(SignalKind::interrupt())?);
    let clock = Clock::start();
    let mut listeners = Vec::new();
    if config.server.port != 0 {
        let tcp = listen::bind_all(&config.server.bind, config.server.port)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, e))?;
        listeners.extend(tcp.into_iter().map(server::Listener::Tcp));
    }
    let unix = config.server.unixsocket.clone();
    if let Some(path) = &unix {
        let l = listen::bind_unix(path, config.server.unixsocketperm).map_err(|e| {
            warn!("{e}");
            std::io::Error::other(e)
        })?;
        listeners.push(server::Listener::Unix(l, path.clone()));
    }
    let core = Sentinel::new(config.clone(), seed, clock.now());
    let (events, _) = broadcast::channel(4096);
    let (admin_tx, admin_rx) = mpsc::channel(1024);
    let (refresh_tx, refresh_rx) = mpsc::channel(1024);
    let (shutdown, _) = watch::channel(false);
    let shared = Arc::new(Shared {
        view: ArcSwap::new(core.view_arc()),
        view_stale: false.into(),
        view_built: clock.now().0.into(),
        view_refresh: refresh_tx,
        clock,
        events,
        admin: admin_tx,
        clients: Clients::default(),
        facts: ServerFacts {
            redis_version: REDIS_VERSION,
            run_id: crate::core::Rng::new(seed ^ 0x5eed).hex40(),
            port: config.server.port,
            maxclients: config.server.maxclients,
            idle_timeout_secs: config.server.timeout_secs,
            config_file: config_path.display().to_string(),
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            started_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            renames: config.server.rename_commands.clone(),
            protected: config.server.protected_mode,
        },
        stats: Stats::default(),
        acl_log: AclLog::new(config.server.acllog_max_len),
        shutdown,
        pause: Pause::default(),
    });
    info!("Sentinel ID is {}", core.view().myid);
    let signals = tokio::spawn(stop_on_signal(shared.clone(), signals));
    let file = ConfigFile { path: config_path, text: config_text, format: config_format };
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let actor =
        tokio::spawn(actor::run(core, file, shared.clone(), admin_rx, refresh_rx, ready_tx));
    if ready_rx.await.is_ok() {
        for l in listeners {
            tokio::spawn(server::run(l, shared.clone()));
        }
        if config.server.port != 0 {
            info!("Ready to accept connections tcp");
        }
        if unix.is_some() {
            info!("Ready to accept connections unix");
        }
    }
    let code = actor.await.unwrap_or(Some(1));
    let _ = shared.shutdown.send(true);
    signals.abort();
    if let Some(path) = &unix {
        let _ = std::fs::remove_file(path);
    }
    Ok(code.unwrap_or(0))
}

async fn stop_on_signal(
    shared: Arc<Shared>,
    (mut term, mut int): (tokio::signal::unix::Signal, tokio::signal::unix::Signal),
) {
    tokio::select! {
        _ = term.recv() => warn!("Received SIGTERM scheduling shutdown..."),
        _ = int.recv() => warn!("Received SIGINT scheduling shutdown..."),
    }
    let _ = shared.shutdown.send(true);
}
