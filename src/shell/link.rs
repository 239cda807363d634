//! Links: one task per outgoing connection to a Redis or a peer sentinel.
//!
//! A link never decides anything. It connects, writes the commands the core
//! sends, and reports every reply, pub/sub message and failure as an input,
//! as it happens: those are the failures the core must see, which a client
//! library's retries and reconnects would hide.
//!
//! With `tls-replication yes` a link is TLS over the same TCP connection
//! ([`super::tls`]); the read path is the same for both.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_rustls::TlsConnector;

use crate::core::{Addr, Input, LinkId, LinkKind, TLS_FAILED, Tag};
use crate::inbox;
use crate::resp::{EncodedCommand, Frame, Limits, decode_reply};

/// How long a connection attempt may take before it counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A command for a link task.
#[derive(Debug)]
pub struct LinkCommand {
    /// Echoed with the reply.
    pub tag: Tag,
    /// The command, encoded.
    pub command: EncodedCommand,
}

/// The actor's handle on a running link task. Dropping it closes the link.
///
/// The queue has no bound of its own: the core bounds what it sends on a
/// link (`can_queue` in `core::link`, redis-sentinel's 100 pending
/// commands per master sharing the link) and expects a reply to each. A
/// bound here dropped commands the core went on waiting for: with a
/// thousand masters sharing a peer's link, the hellos of one grid step
/// overflowed a queue of 256, and their pending entries piled up for good
/// (100 KB a second of memory, hellos lost).
///
/// It is a `VecDeque` and a [`Notify`] rather than a tokio channel: a
/// channel allocates a block of 32 slots and its shared state up front,
/// 1.5 KB for each link; with a thousand masters (two links each) that
/// was 3 MB of the RSS for queues that hold three commands at a time.
#[derive(Debug)]
pub struct LinkHandle {
    queue: Arc<Queue>,
}

/// What the actor and a link task share.
#[derive(Debug, Default)]
struct Queue {
    /// Commands not yet taken by the task.
    commands: Mutex<VecDeque<LinkCommand>>,
    /// Wakes the task: a command was queued, or the handle dropped.
    wake: Notify,
    /// The handle was dropped: the task closes the connection.
    closed: AtomicBool,
}

impl Queue {
    /// Encodes every queued command into `out`, in order, and notes its
    /// tag in `pending`; false when none was queued.
    fn take_into(&self, out: &mut Vec<u8>, pending: &mut VecDeque<Tag>) -> bool {
        let mut commands = self.commands.lock().unwrap_or_else(|e| e.into_inner());
        if commands.is_empty() {
            return false;
        }
        for cmd in commands.drain(..) {
            out.extend_from_slice(cmd.command.as_bytes());
            pending.push_back(cmd.tag);
        }
        // Room beyond a peer link's usual burst ([`KEEP_QUEUED`]) is not kept.
        if commands.capacity() > KEEP_QUEUED {
            *commands = VecDeque::new();
        }
        true
    }
}

impl LinkHandle {
    /// Queues a command; false when the link task is gone (its `LinkDown`
    /// input is on its way to the core, which forgets the pending commands).
    pub fn send(&self, cmd: LinkCommand) -> bool {
        // The task holds the other reference until it ends.
        if Arc::strong_count(&self.queue) < 2 {
            return false;
        }
        self.queue.commands.lock().unwrap_or_else(|e| e.into_inner()).push_back(cmd);
        self.queue.wake.notify_one();
        true
    }
}

impl Drop for LinkHandle {
    fn drop(&mut self) {
        self.queue.closed.store(true, Ordering::Release);
        self.queue.wake.notify_one();
    }
}

/// Starts a link task that reports to `inputs`; over TLS when `tls` is
/// given (`tls-replication yes`).
pub fn spawn(
    link: LinkId,
    addr: Addr,
    kind: LinkKind,
    tls: Option<TlsConnector>,
    inputs: inbox::Sender,
) -> LinkHandle {
    let queue = Arc::new(Queue::default());
    let commands = queue.clone();
    tokio::spawn(async move {
        let reason = drive(link, &addr, kind, tls, &commands, &inputs).await;
        if let Err(reason) = reason {
            inputs.send(Input::LinkDown { link, reason });
        }
    });
    LinkHandle { queue }
}

/// Runs the link until it fails (Err: report LinkDown) or the actor drops
/// it (Ok: report nothing).
async fn drive(
    link: LinkId,
    addr: &Addr,
    kind: LinkKind,
    tls: Option<TlsConnector>,
    commands: &Queue,
    inputs: &inbox::Sender,
) -> Result<(), String> {
    let socket = match tokio::time::timeout(CONNECT_TIMEOUT, connect(addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(e),
        Err(_) => return Err("connection timed out".into()),
    };
    let _ = socket.set_nodelay(true);
    let as_addr = |a: std::net::SocketAddr| Addr::new(a.ip().to_string(), a.port());
    let up = Input::LinkUp {
        link,
        local_addr: socket.local_addr().ok().map(as_addr),
        remote_addr: socket.peer_addr().ok().map(as_addr),
    };
    let Some(tls) = tls else { return serve(socket, up, link, kind, commands, inputs).await };
    // The TLS states live on the heap: inline, rustls' connection state
    // would size every link task, a thousand plain ones included.
    Box::pin(async move {
        // The handshake has the connection's time limit too: a server that
        // accepts and never answers is a failed connection.
        let handshake = super::tls::connect(&tls, &addr.host, socket);
        let failure = match tokio::time::timeout(CONNECT_TIMEOUT, handshake).await {
            Ok(Ok(socket)) => return serve(socket, up, link, kind, commands, inputs).await,
            Ok(Err(e)) => e,
            Err(_) => "TLS handshake timed out (does the server speak TLS?)".into(),
        };
        // The core reports redis-sentinel's words; the cause is logged here.
        tracing::debug!(addr = %addr.name(), kind = ?kind, "{failure}");
        Err(TLS_FAILED.into())
    })
    .await
}

/// Reports `up`, then writes the commands and reports the replies on
/// `socket` (TCP or TLS) until it fails or the actor drops the link.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut socket: S,
    up: Input,
    link: LinkId,
    kind: LinkKind,
    commands: &Queue,
    inputs: &inbox::Sender,
) -> Result<(), String> {
    if !inputs.send(up) {
        return Ok(());
    }
    let mut pending: VecDeque<Tag> = VecDeque::new();
    // What is left of a reply cut by a read; empty (no allocation) between
    // replies, which is nearly always: reads go through the thread's scratch
    // buffer ([`SCRATCH`]), so a thousand idle links hold no read buffers
    // (a TLS link has rustls's own record buffers besides).
    let mut partial = Vec::new();
    let mut out = Vec::new();
    loop {
        tokio::select! {
            () = commands.wake.notified() => {
                // Every command queued goes out in one write, also those
                // queued just before the handle was dropped (the last
                // commands to a master being left, as a tokio channel
                // delivers what it holds after its senders are gone).
                out.clear();
                if commands.take_into(&mut out, &mut pending) {
                    socket.write_all(&out).await.map_err(|e| e.to_string())?;
                    // A no-op for TCP; sends what TLS still holds.
                    socket.flush().await.map_err(|e| e.to_string())?;
                    if out.capacity() > KEEP_OUT {
                        out = Vec::new();
                    }
                }
                if commands.closed.load(Ordering::Acquire) {
                    return Ok(());
                }
            }
            read = std::future::poll_fn(|cx| {
                read_and_report(&mut socket, cx, &mut partial, link, kind, &mut pending, inputs)
            }) => read?,
        }
    }
}

/// Reads what `socket` has into the thread's scratch buffer and reports
/// the whole replies in it (with what `partial` held before), keeping the
/// rest in `partial`. The scratch buffer is borrowed only within this
/// poll, so one per thread serves every link, TCP or TLS: a TCP read is a
/// readiness check and a `read(2)`, a TLS read hands over what rustls has
/// decrypted.
fn read_and_report<S: AsyncRead + Unpin>(
    socket: &mut S,
    cx: &mut Context<'_>,
    partial: &mut Vec<u8>,
    link: LinkId,
    kind: LinkKind,
    pending: &mut VecDeque<Tag>,
    inputs: &inbox::Sender,
) -> Poll<Result<(), String>> {
    SCRATCH.with_borrow_mut(|scratch| {
        let mut buf = ReadBuf::new(scratch);
        match Pin::new(socket).poll_read(cx, &mut buf) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e.to_string())),
            Poll::Ready(Ok(())) => {}
        }
        let n = buf.filled().len();
        if n == 0 {
            return Poll::Ready(Err("connection closed by peer".to_string()));
        }
        let read = &scratch[..n];
        let reported = if partial.is_empty() {
            report(read, link, kind, pending, inputs)
                .map(|used| partial.extend_from_slice(&read[used..]))
        } else {
            partial.extend_from_slice(read);
            report(partial, link, kind, pending, inputs).map(|used| {
                partial.drain(..used);
                if partial.is_empty() {
                    *partial = Vec::new();
                }
            })
        };
        Poll::Ready(reported)
    })
}

/// Bytes read at once into the thread's scratch buffer.
const SCRATCH_SIZE: usize = 64 * 1024;

/// A write buffer grown beyond this (a long command) is not kept. A link
/// to a peer sentinel carries the hellos of every master that knows it:
/// with a thousand masters, fifty or so at each step of the grid, 10 KB.
/// Growing that buffer anew for each burst and freeing it after made the
/// allocator consolidate its free chunks, a few percent of the idle CPU;
/// the few peer links keep it, and the links to masters and replicas
/// (three commands at a time) never grow that far.
const KEEP_OUT: usize = 64 * 1024;

/// The most queued commands a link keeps room for between writes (a peer
/// link's burst, as for [`KEEP_OUT`]).
const KEEP_QUEUED: usize = 1024;

thread_local! {
    /// The read buffer all the links of a thread share: a link task reads
    /// and decodes without yielding in between, so one buffer serves them all.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; SCRATCH_SIZE]);
}

/// Decodes the whole replies and messages at the start of `buf` and reports
/// them; returns how many bytes they took.
fn report(
    buf: &[u8],
    link: LinkId,
    kind: LinkKind,
    pending: &mut VecDeque<Tag>,
    inputs: &inbox::Sender,
) -> Result<usize, String> {
    let mut at = 0;
    loop {
        let (frame, used) = match decode_reply(&buf[at..], &Limits::REPLY) {
            Ok(Some(decoded)) => decoded,
            Ok(None) => return Ok(at),
            Err(e) => return Err(e.to_string()),
        };
        at += used;
        let frame = match kind {
            LinkKind::PubSub => match into_message(frame) {
                Ok((channel, payload)) => {
                    inputs.send(Input::Message { link, channel, payload });
                    continue;
                }
                Err(frame) => frame,
            },
            LinkKind::Command => frame,
        };
        let input = match pending.pop_front() {
            Some(tag) => Input::Reply { link, tag, frame },
            // A reply nobody asked for: the server is confused.
            None => return Err("unexpected reply".into()),
        };
        // The actor gone means the process is stopping: nothing to report.
        inputs.send(input);
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
///
/// The channel and payload are moved out of the frame, not cloned: a
/// clone of a `Bytes` made from a `Vec` allocates its shared count, two
/// allocations per message that a thousand masters' hellos made thousands
/// of a second.
fn into_message(mut frame: Frame) -> Result<(Bytes, Bytes), Frame> {
    if let Frame::Array(items) | Frame::Push(items) = &mut frame
        && let [Frame::Bulk(kind), Frame::Bulk(channel), Frame::Bulk(payload)] =
            items.as_mut_slice()
        && kind.as_ref() == b"message"
    {
        return Ok((std::mem::take(channel), std::mem::take(payload)));
    }
    Err(frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    /// The core's end of the inbox, one input at a time.
    struct Inputs(inbox::Receiver, VecDeque<Input>);

    impl Inputs {
        async fn recv(&mut self) -> Option<Input> {
            while self.1.is_empty() {
                self.0.ready().await;
                self.0.take(&mut self.1);
            }
            self.1.pop_front()
        }
    }

    /// A link task connected to a listener of the test's, with two PINGs
    /// queued: the server's end, the handle and the core's inputs (the
    /// link-up taken).
    async fn connected(
        link: LinkId,
        kind: LinkKind,
    ) -> (tokio::net::TcpStream, LinkHandle, Inputs) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = inbox::inbox();
        let mut rx = Inputs(rx, VecDeque::new());
        let handle = spawn(link, Addr::new("127.0.0.1", port), kind, None, tx);
        let (server, _) = listener.accept().await.unwrap();
        assert!(matches!(rx.recv().await, Some(Input::LinkUp { link: l, .. }) if l == link));
        for tag in [1, 2] {
            assert!(handle.send(LinkCommand { tag: Tag(tag), command: EncodedCommand::PING }));
        }
        (server, handle, rx)
    }

    /// Replies cut across reads, several in one read, and a pub/sub
    /// message among replies all reach the core whole and in order.
    #[tokio::test]
    async fn replies_cut_and_joined_by_reads_are_reported_whole() {
        let (mut server, _handle, mut rx) = connected(LinkId(7), LinkKind::PubSub).await;
        let mut asked = [0u8; 64];
        let mut got = 0;
        while got < 28 {
            got += server.read(&mut asked[got..]).await.unwrap();
        }
        assert_eq!(&asked[..got], b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n");
        let big = "x".repeat(SCRATCH_SIZE + 10);
        let message = "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n";
        let wire = format!("${}\r\n{big}\r\n{message}+PONG\r\n", big.len());
        let (first, rest) = wire.as_bytes().split_at(5);
        server.write_all(first).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        server.write_all(rest).await.unwrap();
        match rx.recv().await {
            Some(Input::Reply { tag: Tag(1), frame: Frame::Bulk(b), .. }) => {
                assert_eq!(b.len(), big.len())
            }
            other => panic!("expected the long reply first, got {other:?}"),
        }
        match rx.recv().await {
            Some(Input::Message { channel, payload, .. }) => {
                assert_eq!((&channel[..], &payload[..]), (&b"ch"[..], &b"hi"[..]))
            }
            other => panic!("expected the message, got {other:?}"),
        }
        assert!(matches!(rx.recv().await, Some(Input::Reply { tag: Tag(2), .. })));
        drop(server);
        assert!(matches!(rx.recv().await, Some(Input::LinkDown { link: LinkId(7), .. })));
    }

    /// Commands queued just before the handle is dropped still go out,
    /// then the connection closes: the hand-over's last commands to an old
    /// master (CLIENT KILL) are queued as its link is let go.
    #[tokio::test]
    async fn commands_queued_before_the_drop_are_written_then_the_link_closes() {
        let (mut server, handle, _rx) = connected(LinkId(8), LinkKind::Command).await;
        drop(handle);
        let mut asked = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), server.read_to_end(&mut asked));
        read.await.expect("the link closes").unwrap();
        assert_eq!(asked, b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n");
    }
}
