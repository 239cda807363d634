//! The tokio shell: sockets, the actor that owns the core, and
//! the RESP server, wired together by [`run`].

mod actor;
mod health;
mod http;
mod link;
mod listen;
mod metrics;
pub mod supervise;
mod tls;
mod x509_v1;

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;
use tokio::sync::{broadcast, mpsc, watch};
use tracing::{info, warn};

use crate::clock::Clock;
pub use actor::ConfigFile;
pub use supervise::Supervisor;

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
    /// The supervisor to tell when ready and stopping.
    pub supervisor: Supervisor,
    /// A daemon's pipe to its waiting parent, told once ready.
    pub daemon_ready: Option<crate::process::Ready>,
}

/// Binds the listeners, starts the core, serves until SIGTERM/SIGINT or
/// SHUTDOWN. Returns the process exit code.
pub async fn run(startup: Startup) -> std::io::Result<i32> {
    let Startup { config, config_path, config_text, config_format, seed, supervisor, daemon_ready } =
        startup;
    // SIGTERM and SIGINT are caught from here on: a supervisor that stops
    // us while we bind (a test, a fast restart) gets a clean exit, not the
    // default action. SIGHUP reopens the log file (main ignores it until
    // here).
    use tokio::signal::unix::{SignalKind, signal};
    let signals = Signals {
        term: signal(SignalKind::terminate())?,
        int: signal(SignalKind::interrupt())?,
        hup: signal(SignalKind::hangup())?,
    };
    let clock = Clock::start();
    // TLS before the listeners, as redis: a certificate that does not load
    // ends the start before any port is bound.
    let tls_settings = config.server.tls_settings();
    let tls = tls::setup(&tls_settings).map_err(|e| {
        warn!("{e}");
        warn!("Failed to configure TLS. Check logs for more info.");
        std::io::Error::other(e)
    })?;
    let mut listeners = Vec::new();
    if config.server.port != 0 {
        let tcp = listen::bind_all(&config.server.bind, config.server.port, "TCP")
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, e))?;
        listeners.extend(tcp.into_iter().map(server::Listener::Tcp));
    }
    if let Some(acceptor) = &tls.acceptor {
        let tcp = listen::bind_all(&config.server.bind, tls_settings.port, "TLS")
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, e))?;
        listeners.extend(tcp.into_iter().map(|l| server::Listener::Tls(l, acceptor.clone())));
    }
    let unix = config.server.unixsocket.clone();
    if let Some(path) = &unix {
        let l = listen::bind_unix(path, config.server.unixsocketperm).map_err(|e| {
            warn!("{e}");
            std::io::Error::other(e)
        })?;
        listeners.push(server::Listener::Unix(l, path.clone()));
    }
    // `metrics-listen`: bound with the other listeners, so that a port in
    // use stops the start as it does for `port`.
    let metrics_listener = match &config.server.metrics_listen {
        Some(addr) => Some(http::bind(addr).await.inspect_err(|e| warn!("{e}"))?),
        None => None,
    };
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
            // INFO's tcp_port: `port`, or `tls-port` without one (redis).
            port: match config.server.port {
                0 => tls_settings.port,
                port => port,
            },
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
            supervised: supervisor.info_name(),
        },
        stats: Stats::default(),
        acl_log: AclLog::new(config.server.acllog_max_len),
        shutdown,
        pause: Pause::default(),
    });
    // Warning level, as redis-sentinel logs it (`#`).
    warn!("Sentinel ID is {}", core.view().myid);
    let signals = tokio::spawn(stop_on_signal(shared.clone(), signals));
    // The failover counters subscribe before the actor runs: no event is
    // missed.
    let counters = Arc::new(metrics::Counters::default());
    if metrics_listener.is_some() {
        let events = shared.events.subscribe();
        tokio::spawn(metrics::count_events(counters.clone(), events, shared.clock));
    }
    let config_dir = config_path.parent().map(PathBuf::from).unwrap_or_default();
    let file = ConfigFile { path: config_path, text: config_text, format: config_format };
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let actor = tokio::spawn(actor::run(
        core,
        file,
        shared.clone(),
        admin_rx,
        refresh_rx,
        ready_tx,
        tls.links.clone(),
    ));
    if ready_rx.await.is_ok() {
        for l in listeners {
            tokio::spawn(server::run(l, shared.clone()));
        }
        if config.server.port != 0 {
            info!("Ready to accept connections tcp");
        }
        if tls.acceptor.is_some() {
            info!("Ready to accept connections tls");
        }
        if unix.is_some() {
            info!("Ready to accept connections unix");
        }
        if let Some(listener) = metrics_listener {
            if let Ok(addr) = listener.local_addr() {
                info!("Serving /metrics, /healthz, /readyz and /status.json on http://{addr}");
            }
            let endpoints = http::Endpoints { shared: shared.clone(), counters, config_dir };
            tokio::spawn(http::run(listener, Arc::new(endpoints)));
        }
        supervisor.ready(&supervise::status_line(&shared.view.load()));
        if let Some(ready) = daemon_ready {
            ready.send();
        }
        tokio::spawn(supervisor.watch(shared.clone()));
    }
    let code = actor.await.unwrap_or(Some(1));
    supervisor.stopping();
    let _ = shared.shutdown.send(true);
    signals.abort();
    if let Some(path) = &unix {
        let _ = std::fs::remove_file(path);
    }
    Ok(code.unwrap_or(0))
}

/// The signals the process handles.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

/// Shuts down on SIGTERM or SIGINT; reopens the log file on SIGHUP (never
/// ends the process).
async fn stop_on_signal(shared: Arc<Shared>, mut signals: Signals) {
    loop {
        tokio::select! {
            _ = signals.term.recv() => {
                warn!("Received SIGTERM scheduling shutdown...");
                break;
            }
            _ = signals.int.recv() => {
                warn!("Received SIGINT scheduling shutdown...");
                break;
            }
            _ = signals.hup.recv() => {
                // Reopened first: this line is the new file's first.
                crate::logging::reopen();
                info!("Received SIGHUP, reopening the log file");
            }
        }
    }
    let _ = shared.shutdown.send(true);
}
