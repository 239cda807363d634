//! The RESP listener for clients: one task per connection.
//!
//! Commands compute a reply and the connection writes it (mini-redis's
//! layout, with replies as values). Read-only queries use the [`View`] the
//! actor publishes; state-changing commands go to the actor and wait for its
//! answer.

mod client;
pub mod cmd;
mod connection;
mod errors;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use bytes::Bytes;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, broadcast, mpsc, oneshot, watch};
use tracing::{debug, warn};

pub use client::{ClientInfo, Clients};

use crate::core::View;
use crate::resp::Frame;
use crate::shell::Clock;

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
    /// The full argument vector, command name first.
    pub args: Vec<Bytes>,
    /// Where the core's reply goes.
    pub reply: oneshot::Sender<Frame>,
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
    /// `requirepass`, if any.
    pub requirepass: Option<String>,
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
    /// Set to true to stop the whole process (SHUTDOWN, SIGTERM).
    pub shutdown: watch::Sender<bool>,
}

impl Shared {
    /// Sends a command to the core and waits for its reply.
    pub async fn ask_core(&self, args: Vec<Bytes>) -> Frame {
        let (tx, rx) = oneshot::channel();
        if self.admin.send(AdminRequest { args, reply: tx }).await.is_err() {
            return Frame::error("ERR sentinel is shutting down");
        }
        rx.await.unwrap_or_else(|_| Frame::error("ERR sentinel is shutting down"))
    }

    /// Counts a processed command.
    pub fn count_command(&self) {
        self.stats.commands_processed.fetch_add(1, Ordering::Relaxed);
    }
}

/// Accepts clients until shutdown. Each connection runs in its own task;
/// `maxclients` bounds how many run at once.
pub async fn run(listener: TcpListener, shared: Arc<Shared>) {
    let limit = Arc::new(Semaphore::new(shared.facts.maxclients));
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        let (socket, peer): (_, SocketAddr) = match accepted {
            Ok(pair) => pair,
            Err(err) => {
                // EMFILE and friends: back off instead of spinning.
                warn!(cause = %err, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        shared.stats.connections_received.fetch_add(1, Ordering::Relaxed);
        let _ = socket.set_nodelay(true);
        let shared = shared.clone();
        match limit.clone().try_acquire_owned() {
            Ok(permit) => {
                tokio::spawn(async move {
                    connection::serve(socket, peer, shared).await;
                    drop(permit);
                });
            }
            Err(_) => {
                shared.stats.rejected_connections.fetch_add(1, Ordering::Relaxed);
                debug!(%peer, "refused: max number of clients reached");
                tokio::spawn(connection::refuse(socket));
            }
        }
    }
}
