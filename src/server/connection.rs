//! One client connection: read requests, run them, write replies, deliver
//! pub/sub messages.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{broadcast, oneshot};
use tracing::{debug, warn};

use super::cmd::{self, Outcome, Session};
use super::{PubMessage, Shared, reply_of};
use crate::resp::{Frame, Limits, Protocol, decode_request};

/// The most bytes buffered for one connection's unfinished requests. No
/// sentinel command comes near it; a client that gets there is closed, as
/// redis closes clients over `client-query-buffer-limit`.
const MAX_QUERY_BUFFER: usize = 4 * 1024 * 1024;

/// The room made in the request buffer before each read. A pipelining
/// client sends its batch in one write; if the buffer had less room than
/// that, the batch would be read, answered and written in pieces (and
/// `BytesMut` does not move its data back to the front by itself, so the
/// room left after a few batches is arbitrary). Reserving also moves what
/// is left of a partial request back to the front.
const READ_ROOM: usize = 4096;

/// Sends a refused client `reply` (an error line without its CRLF) and
/// closes it: over `maxclients`, or denied by protected mode.
pub async fn refuse<S: AsyncWrite + Unpin>(mut socket: S, reply: &str) {
    let _ = socket.write_all(format!("{reply}\r\n").as_bytes()).await;
    let _ = socket.shutdown().await;
}

/// Serves one client until it leaves, is killed, or the server stops.
/// `peer` and `laddr` are the addresses CLIENT LIST shows.
pub async fn serve<S>(mut socket: S, peer: String, laddr: String, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (record, mut kill) = shared.clients.register(peer.clone(), laddr);
    let id = record.id;
    let mut session = Session::new(id, record, shared.view.load().acl.open());
    let mut shutdown = shared.shutdown.subscribe();
    // Killed (CLIENT KILL) or the server stopping: one future for the
    // connection's life, so that its two watch registrations are made once
    // instead of on every turn of the loop below (made per turn, they cost
    // about 0.2 of the 3 µs of user time of a PING without pipelining).
    let stopped = async move {
        tokio::select! {
            _ = kill.changed() => {}
            _ = shutdown.wait_for(|stop| *stop) => {}
        }
    };
    tokio::pin!(stopped);
    let mut events: Option<broadcast::Receiver<Arc<PubMessage>>> = None;
    let mut buf = BytesMut::with_capacity(READ_ROOM);
    let mut out: Vec<u8> = Vec::new();
    // Replies the core owes for commands handed over without waiting
    // (`cmd::defers`), in order; each goes out before any later reply.
    let mut deferred: VecDeque<oneshot::Receiver<Frame>> = VecDeque::new();
    'conn: loop {
        // Run every complete request already buffered (pipelining).
        let mut close = false;
        loop {
            match decode_request(&buf, &Limits::REQUEST) {
                Ok(Some((args, used))) => {
                    buf.advance(used);
                    if args.is_empty() {
                        continue;
                    }
                    if args[0].eq_ignore_ascii_case(b"post")
                        || args[0].eq_ignore_ascii_case(b"host:")
                    {
                        warn!(%peer, "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.");
                        break 'conn;
                    }
                    if !deferred.is_empty() && !cmd::defers(&shared, &args) {
                        flush(&mut deferred, session.proto, &mut out).await;
                    }
                    let outcome = cmd::execute(&mut session, &shared, args).await;
                    if !matches!(outcome, Outcome::Deferred(_)) {
                        // A reply given now goes after the deferred ones (a
                        // command that defers may still be refused at once).
                        flush(&mut deferred, session.proto, &mut out).await;
                    }
                    match outcome {
                        Outcome::Deferred(reply) => deferred.push_back(reply),
                        Outcome::Reply(f) => f.encode(session.proto, &mut out),
                        Outcome::Many(fs) => {
                            fs.iter().for_each(|f| f.encode(session.proto, &mut out))
                        }
                        Outcome::Close(f) => {
                            if let Some(f) = f {
                                f.encode(session.proto, &mut out);
                            }
                            close = true;
                            break;
                        }
                    }
                }
                Ok(None) => break,
                Err(err) => {
                    debug!(%peer, cause = %err, "protocol error");
                    flush(&mut deferred, session.proto, &mut out).await;
                    Frame::error(format!("ERR {err}")).encode(session.proto, &mut out);
                    close = true;
                    break;
                }
            }
        }
        flush(&mut deferred, session.proto, &mut out).await;
        match (session.is_subscribed(), events.is_some()) {
            (true, false) => events = Some(shared.events.subscribe()),
            (false, true) => events = None,
            _ => {}
        }
        if !out.is_empty() {
            shared.stats.net_output_bytes.fetch_add(out.len() as u64, Ordering::Relaxed);
            if socket.write_all(&out).await.is_err() {
                break;
            }
            out.clear();
        }
        if close || buf.len() > MAX_QUERY_BUFFER {
            break;
        }
        buf.reserve(READ_ROOM);
        tokio::select! {
            read = socket.read_buf(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    shared.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                    session.now = Instant::now();
                }
            },
            msg = next_event(&mut events) => match msg {
                Ok(msg) => cmd::pubsub::deliver(&session, &msg)
                    .iter()
                    .for_each(|f| f.encode(session.proto, &mut out)),
                // A subscriber too slow to keep up is closed, like redis's
                // pub/sub output buffer limit.
                Err(broadcast::error::RecvError::Lagged(_)) => break,
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = idle(shared.facts.idle_timeout_secs, session.is_subscribed()) => {
                debug!(%peer, "closing idle client");
                break;
            }
            () = &mut stopped => break,
        }
    }
    if !out.is_empty() {
        let _ = socket.write_all(&out).await;
    }
    shared.clients.remove(id);
}

/// Waits for the deferred replies, in order, and encodes them.
async fn flush(
    deferred: &mut VecDeque<oneshot::Receiver<Frame>>,
    proto: Protocol,
    out: &mut Vec<u8>,
) {
    while let Some(reply) = deferred.pop_front() {
        reply_of(reply).await.encode(proto, out);
    }
}

/// Resolves after `timeout` seconds of idleness (re-created on every loop
/// turn, so any activity restarts it); never for 0 or for subscribers, which
/// redis does not time out either.
async fn idle(timeout: u64, subscribed: bool) {
    if timeout == 0 || subscribed {
        std::future::pending::<()>().await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(timeout)).await;
}

async fn next_event(
    events: &mut Option<broadcast::Receiver<Arc<PubMessage>>>,
) -> Result<Arc<PubMessage>, broadcast::error::RecvError> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
