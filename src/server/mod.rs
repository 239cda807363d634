//! The RESP listener for clients: one task per connection.
//!
//! Commands compute a reply and the connection writes it (mini-redis's
//! layout, with replies as values). Read-only queries use the [`View`] the
//! actor publishes; state-changing commands go to the actor and wait for its
//! answer.

mod acl_log;
mod client;
pub mod cmd;
mod connection;
mod pause;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use arc_swap::ArcSwap;
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::{Semaphore, broadcast, mpsc, oneshot, watch};
use tokio_rustls::TlsAcceptor;
use tracing::{debug, warn};

pub use acl_log::AclLog;
pub use client::{ClientInfo, Clients, Record};
pub use pause::Pause;

use crate::clock::Clock;
use crate::core::{AdminCommand, VIEW_REFRESH, View};
use crate::resp::Frame;

/// A message published to clients subscribed to `channel`.
#[derive(Debug, Clone)]
pub struct PubMessage {
    /// The channel (an event type such as `+sdown`).
    pub channel: String,
    /// The payload (the event's message).
    pub payload: String,
}

/// A client command the core must answer.
#[derive(Debug)]
pub struct AdminRequest {
    /// The command, parsed.
    pub command: AdminCommand,
    /// Where the core's reply goes; `None` when nobody waits for it (a
    /// peer's hello, [`Shared::tell_core`]).
    pub reply: Option<oneshot::Sender<Frame>>,
}

/// Fixed facts about this process, shown by INFO and HELLO.
#[derive(Debug, Clone)]
pub struct ServerFacts {
    /// The Redis version we report, for clients that branch on it.
    pub redis_version: &'static str,
    /// This process's run id (INFO `run_id`; not the sentinel's myid).
    pub run_id: String,
    /// The TCP port we listen on.
    pub port: u16,
    /// `maxclients`.
    pub maxclients: usize,
    /// `timeout`: close clients idle this long (not subscribers); 0 = never.
    pub idle_timeout_secs: u64,
    /// Absolute path of the config file.
    pub config_file: String,
    /// Absolute path of the executable.
    pub executable: String,
    /// Unix time of the start, in seconds.
    pub started_unix: u64,
    /// Server-level `rename-command`s: the names clients call commands by.
    pub renames: cmd::table::Renames,
    /// `protected-mode yes`: in force while the default user has no
    /// password (checked at each connection, as ACL SETUSER may change it;
    /// see [`protected_mode_refuses`]).
    pub protected: bool,
    /// INFO's `process_supervised`: `no`, `systemd` or `upstart`.
    pub supervised: &'static str,
}

/// Counters shown by INFO stats.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections accepted.
    pub connections_received: AtomicU64,
    /// Commands processed.
    pub commands_processed: AtomicU64,
    /// Connections refused for maxclients.
    pub rejected_connections: AtomicU64,
    /// Bytes read from clients.
    pub net_input_bytes: AtomicU64,
    /// Bytes written to clients.
    pub net_output_bytes: AtomicU64,
}

/// Everything the connections share.
#[derive(Debug)]
pub struct Shared {
    /// The core's latest published view.
    pub view: ArcSwap<View>,
    /// The published view is stale: the core changed since it was built,
    /// nothing it announced (`Shared::current_view`).
    pub view_stale: AtomicBool,
    /// When the published view was built, on [`Shared::clock`].
    pub view_built: AtomicU64,
    /// Asks the actor to publish a current view; answered once it has.
    pub view_refresh: mpsc::Sender<oneshot::Sender<()>>,
    /// The clock the core runs on (to turn view times into ages).
    pub clock: Clock,
    /// Events for subscribers.
    pub events: broadcast::Sender<Arc<PubMessage>>,
    /// State-changing commands for the actor.
    pub admin: mpsc::Sender<AdminRequest>,
    /// Connected clients.
    pub clients: Clients,
    /// Fixed facts.
    pub facts: ServerFacts,
    /// Counters.
    pub stats: Stats,
    /// `ACL LOG`.
    pub acl_log: AclLog,
    /// Set to true to stop the whole process (SHUTDOWN, SIGTERM).
    pub shutdown: watch::Sender<bool>,
    /// `CLIENT PAUSE`.
    pub pause: Pause,
}

/// The core's reply to a command handed over with
/// [`Shared::hand_to_core`].
pub async fn reply_of(reply: oneshot::Receiver<Frame>) -> Frame {
    reply.await.unwrap_or_else(|_| Frame::error(crate::errors::SHUTTING_DOWN))
}

impl Shared {
    /// Sends a command to the core and waits for its reply.
    pub async fn ask_core(&self, command: AdminCommand) -> Frame {
        match self.hand_to_core(command).await {
            Ok(reply) => reply_of(reply).await,
            Err(refusal) => refusal,
        }
    }

    /// Sends a command to the core; its reply comes on the receiver (read
    /// it with [`reply_of`]). The error is the reply when the core is gone.
    pub async fn hand_to_core(
        &self,
        command: AdminCommand,
    ) -> Result<oneshot::Receiver<Frame>, Frame> {
        let (tx, rx) = oneshot::channel();
        match self.admin.send(AdminRequest { command, reply: Some(tx) }).await {
            Ok(()) => Ok(rx),
            Err(_) => Err(Frame::error(crate::errors::SHUTTING_DOWN)),
        }
    }

    /// Hands the core a command whose reply is known in advance, without
    /// waiting for it: a peer's hello (`PUBLISH`, always answered 1). A peer
    /// publishes one hello per master every 2 s on one connection: with a
    /// thousand masters, waiting for the core after each held that
    /// connection's PINGs behind a queue of hellos, until the peer judged
    /// us down. The channel's bound holds a connection that floods
    /// hellos back until the core has handled them.
    pub async fn tell_core(&self, command: AdminCommand) -> bool {
        self.admin.send(AdminRequest { command, reply: None }).await.is_ok()
    }

    /// Makes the published view current within [`VIEW_REFRESH`] before a
    /// query reads it. The actor publishes a view at once when the core
    /// announces something (an event, a reply, a persist); what changes
    /// without announcement (link times, run ids, INFO) is only built when
    /// a client asks and the view is older than `VIEW_REFRESH`. So a
    /// sentinel nobody queries builds no view at all: with a thousand
    /// masters, building views of masters that nobody read was a sixth of
    /// the idle CPU.
    pub async fn current_view(&self) {
        if !self.view_stale.load(Ordering::Acquire)
            || self.clock.now().0 < self.view_built.load(Ordering::Acquire) + VIEW_REFRESH.0
        {
            return;
        }
        let (tx, rx) = oneshot::channel();
        if self.view_refresh.send(tx).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Counts a processed command.
    pub fn count_command(&self) {
        self.stats.commands_processed.fetch_add(1, Ordering::Relaxed);
    }
}

/// A socket clients connect to.
pub enum Listener {
    /// `port` on one `bind` address.
    Tcp(TcpListener),
    /// `tls-port` on one `bind` address, with the TLS server config.
    Tls(TcpListener, TlsAcceptor),
    /// `unixsocket`, with its path (CLIENT LIST shows `path:0`).
    Unix(UnixListener, String),
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Listener::Tcp(l) => f.debug_tuple("Tcp").field(l).finish(),
            Listener::Tls(l, _) => f.debug_tuple("Tls").field(l).finish(),
            Listener::Unix(l, path) => f.debug_tuple("Unix").field(l).field(path).finish(),
        }
    }
}

/// A connection just accepted.
enum Accepted {
    Tcp(TcpStream, SocketAddr),
    /// Before its handshake, which runs in the connection's own task.
    Tls(TcpStream, SocketAddr, TlsAcceptor),
    Unix(UnixStream),
}

/// How long a TLS client may take over its handshake before it is dropped
/// (its connection task holds a `maxclients` permit meanwhile).
const TLS_HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl Listener {
    async fn accept(&self) -> std::io::Result<Accepted> {
        match self {
            Listener::Tcp(l) => l.accept().await.map(|(s, peer)| Accepted::Tcp(s, peer)),
            Listener::Tls(l, tls) => {
                l.accept().await.map(|(s, peer)| Accepted::Tls(s, peer, tls.clone()))
            }
            Listener::Unix(l, _) => l.accept().await.map(|(s, _)| Accepted::Unix(s)),
        }
    }
}

/// Runs the TLS handshake of a client of `tls-port`; `None` when it fails
/// or times out (logged as a warning, as redis logs it).
async fn handshake(
    socket: TcpStream,
    peer: SocketAddr,
    tls: TlsAcceptor,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, tls.accept(socket)).await {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(e)) => {
            warn!("Error accepting a client connection: {e} (addr={peer})");
            None
        }
        Err(_) => {
            warn!("Error accepting a client connection: TLS handshake timed out (addr={peer})");
            None
        }
    }
}

/// Refuses an accepted client with `reply` (after the handshake for TLS,
/// so that the client can read why).
fn refuse(accepted: Accepted, reply: &'static str) {
    match accepted {
        Accepted::Tcp(s, _) => tokio::spawn(connection::refuse(s, reply)),
        Accepted::Unix(s) => tokio::spawn(connection::refuse(s, reply)),
        Accepted::Tls(s, peer, tls) => tokio::spawn(async move {
            if let Some(s) = handshake(s, peer, tls).await {
                connection::refuse(s, reply).await
            }
        }),
    };
}

/// Whether protected mode refuses a client connecting from `peer` (`None`
/// = the unix socket), as redis 7.0 decides: when `protected` is in force
/// (`protected-mode yes` and the default user has no password; unlike
/// redis 6, `bind` plays no part), only 127.0.0.1, ::1 and the unix
/// socket are served. Other loopback addresses (127.0.0.2, an IPv4-mapped
/// ::ffff:127.0.0.1) are refused, as redis compares the address's text.
pub fn protected_mode_refuses(protected: bool, peer: Option<IpAddr>) -> bool {
    let local = match peer {
        None => true,
        Some(ip) => ip == IpAddr::V4(Ipv4Addr::LOCALHOST) || ip == IpAddr::V6(Ipv6Addr::LOCALHOST),
    };
    protected && !local
}

/// Accepts clients until shutdown. Each connection runs in its own task;
/// `maxclients` bounds how many run at once.
pub async fn run(listener: Listener, shared: Arc<Shared>) {
    let limit = Arc::new(Semaphore::new(shared.facts.maxclients));
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        let accepted = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                // EMFILE and friends: back off instead of spinning.
                warn!(cause = %err, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let peer_ip = match &accepted {
            Accepted::Tcp(_, peer) | Accepted::Tls(_, peer, _) => Some(peer.ip()),
            Accepted::Unix(_) => None,
        };
        let protected = shared.facts.protected
            && shared.view.load().acl.user("default").is_some_and(|d| d.nopass());
        if protected_mode_refuses(protected, peer_ip) {
            shared.stats.rejected_connections.fetch_add(1, Ordering::Relaxed);
            refuse(accepted, crate::errors::DENIED);
            continue;
        }
        shared.stats.connections_received.fetch_add(1, Ordering::Relaxed);
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            shared.stats.rejected_connections.fetch_add(1, Ordering::Relaxed);
            debug!(peer = ?peer_ip, "refused: max number of clients reached");
            refuse(accepted, "-ERR max number of clients reached");
            continue;
        };
        let shared = shared.clone();
        match accepted {
            Accepted::Tcp(socket, peer) => {
                let _ = socket.set_nodelay(true);
                let laddr =
                    socket.local_addr().map_or_else(|_| peer.to_string(), |a| a.to_string());
                tokio::spawn(async move {
                    connection::serve(socket, peer.to_string(), laddr, shared).await;
                    drop(permit);
                });
            }
            Accepted::Tls(socket, peer, tls) => {
                let _ = socket.set_nodelay(true);
                let laddr =
                    socket.local_addr().map_or_else(|_| peer.to_string(), |a| a.to_string());
                tokio::spawn(async move {
                    if let Some(stream) = handshake(socket, peer, tls).await {
                        connection::serve(stream, peer.to_string(), laddr, shared).await;
                    }
                    drop(permit);
                });
            }
            Accepted::Unix(socket) => {
                let Listener::Unix(_, path) = &listener else {
                    unreachable!("unix stream from tcp")
                };
                let addr = format!("{path}:0");
                tokio::spawn(async move {
                    connection::serve(socket, addr.clone(), addr, shared).await;
                    drop(permit);
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protected_mode_serves_only_127_0_0_1_ipv6_loopback_and_the_unix_socket() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().expect("ip"));
        for refused in ["192.0.2.2", "127.0.0.2", "::ffff:127.0.0.1", "fd00::2", "10.0.0.1"] {
            assert!(protected_mode_refuses(true, ip(refused)), "{refused}");
            assert!(!protected_mode_refuses(false, ip(refused)), "{refused}");
        }
        for served in ["127.0.0.1", "::1"] {
            assert!(!protected_mode_refuses(true, ip(served)), "{served}");
        }
        assert!(!protected_mode_refuses(true, None));
        assert!(crate::errors::DENIED.starts_with("-DENIED Redis is running in protected mode"));
        assert!(!crate::errors::DENIED.ends_with('\n'));
    }
}
