//! Links: one task per outgoing connection to a Redis or a peer sentinel.
//!
//! A link never decides anything. It connects, writes the commands the core
//! sends, and reports every reply, pub/sub message and failure as an input,
//! as it happens: those are the failures the core must see, which a client
//! library's retries and reconnects would hide.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::core::{Addr, Input, LinkId, LinkKind, Tag};
use crate::resp::{Frame, Limits, decode_reply, encode_command};

/// How long a connection attempt may take before it counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Commands queued for one link before new ones are dropped (the core's own
/// pending-command cap and timeouts notice the loss).
const LINK_QUEUE: usize = 256;

/// A command for a link task.
#[derive(Debug)]
pub struct LinkCommand {
    /// Echoed with the reply.
    pub tag: Tag,
    /// The command.
    pub args: Vec<Bytes>,
}

/// The actor's handle on a running link task. Dropping it closes the link.
#[derive(Debug)]
pub struct LinkHandle {
    tx: mpsc::Sender<LinkCommand>,
}

impl LinkHandle {
    /// Queues a command; false when the link's queue is full or it is gone.
    pub fn send(&self, cmd: LinkCommand) -> bool {
        self.tx.try_send(cmd).is_ok()
    }
}

/// Starts a link task that reports to `inputs`.
pub fn spawn(
    link: LinkId,
    addr: Addr,
    kind: LinkKind,
    inputs: mpsc::UnboundedSender<Input>,
) -> LinkHandle {
    let (tx, rx) = mpsc::channel(LINK_QUEUE);
    tokio::spawn(async move {
        let reason = drive(link, &addr, kind, rx, &inputs).await;
        if let Err(reason) = reason {
            let _ = inputs.send(Input::LinkDown { link, reason });
        }
    });
    LinkHandle { tx }
}

/// Runs the link until it fails (Err: report LinkDown) or the actor drops
/// it (Ok: report nothing).
async fn drive(
    link: LinkId,
    addr: &Addr,
    kind: LinkKind,
    mut commands: mpsc::Receiver<LinkCommand>,
    inputs: &mpsc::UnboundedSender<Input>,
) -> Result<(), String> {
    let mut socket = match tokio::time::timeout(CONNECT_TIMEOUT, connect(addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(e),
        Err(_) => return Err("connection timed out".into()),
    };
    let _ = socket.set_nodelay(true);
    let as_addr = |a: std::net::SocketAddr| Addr::new(a.ip().to_string(), a.port());
    let local_addr = socket.local_addr().ok().map(as_addr);
    let remote_addr = socket.peer_addr().ok().map(as_addr);
    if inputs.send(Input::LinkUp { link, local_addr, remote_addr }).is_err() {
        return Ok(());
    }
    let mut pending: VecDeque<Tag> = VecDeque::new();
    let mut buf = BytesMut::with_capacity(4096);
    let mut out = Vec::new();
    loop {
        tokio::select! {
            cmd = commands.recv() => {
                let Some(cmd) = cmd else { return Ok(()) };
                out.clear();
                encode_command(&cmd.args, &mut out);
                pending.push_back(cmd.tag);
                // Write whatever else is queued in the same syscall.
                while let Ok(more) = commands.try_recv() {
                    encode_command(&more.args, &mut out);
                    pending.push_back(more.tag);
                }
                socket.write_all(&out).await.map_err(|e| e.to_string())?;
            }
            read = socket.read_buf(&mut buf) => {
                match read {
                    Ok(0) => return Err("connection closed by peer".into()),
                    Err(e) => return Err(e.to_string()),
                    Ok(_) => {}
                }
                loop {
                    let (frame, used) = match decode_reply(&buf, &Limits::REPLY) {
                        Ok(Some(decoded)) => decoded,
                        Ok(None) => break,
                        Err(e) => return Err(e.to_string()),
                    };
                    buf.advance(used);
                    let input = match (kind, as_message(&frame)) {
                        (LinkKind::PubSub, Some((channel, payload))) => Input::Message { link, channel, payload },
                        _ => match pending.pop_front() {
                            Some(tag) => Input::Reply { link, tag, frame },
                            // A reply nobody asked for: the server is confused.
                            None => return Err("unexpected reply".into()),
                        },
                    };
                    if inputs.send(input).is_err() {
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// Resolves `addr` now and connects to the first of its IPs that accepts.
///
/// A hostname is looked up again on every connection attempt (never
/// cached here), so a name whose address changed (a restarted Kubernetes
/// pod) is followed at the next reconnect; the core learns where it led
/// from `LinkUp`'s `remote_addr`. An IP literal is used as is.
async fn connect(addr: &Addr) -> Result<TcpStream, String> {
    let ips: Vec<_> = tokio::net::lookup_host((addr.host.as_str(), addr.port))
        .await
        .map_err(|e| format!("failed to resolve hostname '{}': {e}", addr.host))?
        .collect();
    let mut last = format!("hostname '{}' has no address", addr.host);
    for ip in ips {
        match TcpStream::connect(ip).await {
            Ok(socket) => return Ok(socket),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

/// `["message", channel, payload]` (array or push) → (channel, payload).
fn as_message(frame: &Frame) -> Option<(Bytes, Bytes)> {
    let (Frame::Array(items) | Frame::Push(items)) = frame else { return None };
    match items.as_slice() {
        [Frame::Bulk(kind), Frame::Bulk(channel), Frame::Bulk(payload)]
            if kind.as_ref() == b"message" =>
        {
            Some((channel.clone(), payload.clone()))
        }
        _ => None,
    }
}
