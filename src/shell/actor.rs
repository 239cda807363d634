//! The actor: the one task that owns the core.
//!
//! Loop: wait for an input (a link event, a client's admin command) or the
//! core's next deadline → `handle` it (with the link inputs already queued
//! behind it, one by one) → drain `poll_output`, carrying out each output in
//! order (a persist is durable before the next output runs) → publish the
//! view → move the single sleep to the core's next deadline.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::{mpsc, oneshot};
use tracing::{debug, error, info, trace, warn};

use super::link::{self, LinkCommand, LinkHandle};
use crate::config::{Config, Format, persist, render};
use crate::core::{
    Event, EventLevel, Input, LinkId, Millis, Output, RequestId, ScriptId, Sentinel,
};
use crate::inbox;
use crate::resp::Frame;
use crate::scripts::{self, ScriptHandle};
use crate::server::{AdminRequest, PubMessage, Shared};

/// Where and how the configuration is saved.
#[derive(Debug)]
pub struct ConfigFile {
    /// The config file's absolute path.
    pub path: PathBuf,
    /// The file's text as last written (comments and user lines to keep).
    pub text: String,
    /// The file's format: a `sentinel.conf` is rewritten keeping its lines,
    /// a YAML file is regenerated.
    pub format: Format,
}

impl ConfigFile {
    /// Rewrites and persists the file; logs like redis-sentinel.
    async fn save(&mut self, config: &Config) -> bool {
        let text = render(self.format, &self.text, config);
        let path = self.path.clone();
        let to_write = text.clone();
        let result = tokio::task::spawn_blocking(move || persist(&path, &to_write)).await;
        match result {
            Ok(Ok(())) => {
                self.text = text;
                debug!("Sentinel new configuration saved on disk");
                true
            }
            Ok(Err(e)) => {
                warn!(
                    "WARNING: Sentinel was not able to save the new configuration on disk!!!: {e}"
                );
                false
            }
            Err(e) => {
                error!("config save task failed: {e}");
                false
            }
        }
    }
}

/// Logs an event at its level and publishes it to subscribers.
pub fn emit(shared: &Shared, event: &Event) {
    let (channel, message) = (event.channel(), event.message());
    match event.level() {
        EventLevel::Warning => warn!("{channel} {message}"),
        EventLevel::Notice => info!("{channel} {message}"),
        EventLevel::Verbose => debug!("{channel} {message}"),
        EventLevel::Debug => trace!("{channel} {message}"),
    }
    if event.is_published() {
        let _ = shared
            .events
            .send(Arc::new(PubMessage { channel: channel.to_string(), payload: message }));
    }
}

/// Runs the actor until shutdown; returns the exit code the core asked for,
/// if any.
pub async fn run(
    mut core: Sentinel,
    mut file: ConfigFile,
    shared: Arc<Shared>,
    mut admin: mpsc::Receiver<AdminRequest>,
    mut refresh: mpsc::Receiver<oneshot::Sender<()>>,
    ready: oneshot::Sender<()>,
    tls: Option<tokio_rustls::TlsConnector>,
) -> Option<i32> {
    let mut ready = Some(ready);
    let (inputs_tx, inputs) = inbox::inbox();
    // Inputs taken from the inbox and not handled yet.
    let mut queued: VecDeque<Input> = VecDeque::new();
    let mut links: BTreeMap<LinkId, LinkHandle> = BTreeMap::new();
    let mut running: BTreeMap<ScriptId, ScriptHandle> = BTreeMap::new();
    let mut waiting: BTreeMap<RequestId, oneshot::Sender<Frame>> = BTreeMap::new();
    let mut next_request = 0u64;
    let mut shutdown = shared.shutdown.subscribe();
    let mut last_persist_ok = true;
    // One sleep for the actor's life, moved only when the core's deadline
    // does: a new timer per input costs a registration (and often a wake of
    // the driver) each time.
    let sleep = tokio::time::sleep_until(shared.clock.instant(Millis::ZERO));
    tokio::pin!(sleep);
    let mut armed: Option<Millis> = None;
    let mut last_published: Option<Published> = None;
    loop {
        // The read model is published after the persists the core queued
        // first and before the first event or reply that announces the
        // change: a client told `+OK` or `+switch-master` and then asking
        // SENTINEL MASTER or GET-MASTER-ADDR-BY-NAME sees the new state, and
        // what the core persists before announcing it (the core's rule) is
        // on disk before anyone can read it.
        let mut published = false;
        while let Some(output) = core.poll_output() {
            if matches!(output, Output::Event(_) | Output::Reply { .. }) && !published {
                publish(&core, &shared, &mut last_published);
                published = true;
            }
            match output {
                Output::Connect { link, addr, kind } => {
                    let tls = tls.clone();
                    links.insert(link, link::spawn(link, addr, kind, tls, inputs_tx.clone()));
                }
                Output::Disconnect { link } => {
                    links.remove(&link);
                }
                Output::Send { link, tag, command } => {
                    let sent =
                        links.get(&link).is_some_and(|l| l.send(LinkCommand { tag, command }));
                    if !sent {
                        trace!(?link, "command dropped: link gone or full");
                    }
                }
                Output::Event(event) => emit(&shared, &event),
                Output::Persist(config) => last_persist_ok = file.save(&config).await,
                Output::Reply { request, frame, needs_persist } => {
                    let frame = if needs_persist && !last_persist_ok {
                        Frame::error(crate::errors::SAVE_FAILED)
                    } else {
                        frame
                    };
                    if let Some(tx) = waiting.remove(&request) {
                        let _ = tx.send(frame);
                    }
                }
                Output::RunScript { id, path, args } => {
                    running.insert(id, scripts::spawn(id, path, args, inputs_tx.clone()));
                }
                Output::KillScript { id } => {
                    if let Some(script) = running.get_mut(&id) {
                        script.kill();
                    }
                }
                Output::LogLevel(level) => crate::logging::set_level(level),
                Output::Exit(code) => return Some(code),
            }
        }
        if !published {
            publish(&core, &shared, &mut last_published);
        }
        // The first drain saved a generated myid: only now may clients connect.
        if let Some(ready) = ready.take() {
            let _ = ready.send(());
        }
        let deadline = core.next_deadline();
        if deadline != armed {
            armed = deadline;
            if let Some(at) = deadline {
                sleep.as_mut().reset(shared.clock.instant(at));
            }
        }
        let input = tokio::select! {
            () = inbox_ready(&inputs, queued.is_empty()) => {
                // Everything the links reported meanwhile is handled before
                // the outputs are carried out, in the order it came: the
                // commands a batch of replies makes due leave together.
                if queued.is_empty() {
                    inputs.take(&mut queued);
                }
                for input in queued.drain(..queued.len().min(INPUT_BATCH)) {
                    handle_link_input(&mut core, &shared, &mut running, input);
                }
                continue;
            }
            Some(req) = admin.recv() => {
                // Peers' hellos come in bursts (one per master): those
                // queued behind are handled with it, as link inputs are.
                let mut req = Some(req);
                for _ in 0..INPUT_BATCH {
                    let Some(AdminRequest { command, reply }) =
                        req.take().or_else(|| admin.try_recv().ok())
                    else {
                        break;
                    };
                    next_request += 1;
                    let request = RequestId(next_request);
                    if let Some(reply) = reply {
                        waiting.insert(request, reply);
                    }
                    core.handle(shared.clock.now(), Input::Admin { request, command });
                }
                continue;
            }
            _ = &mut sleep, if armed.is_some() => {
                armed = None;
                Input::Timeout
            }
            Some(done) = refresh.recv() => {
                core.refresh_stale_view(shared.clock.now());
                publish(&core, &shared, &mut last_published);
                let _ = done.send(());
                continue;
            }
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        core.handle(shared.clock.now(), input);
    }
    // What was learned in the last second is not lost.
    if core.persist_pending() {
        file.save(&core.config()).await;
    }
    None
}

/// How many link inputs (or clients' commands) the actor handles before it
/// carries out their outputs and looks at the other sources again.
const INPUT_BATCH: usize = 64;

/// Resolves when the actor has inputs to handle: at once when `wait` is
/// false (some are already taken), else when the inbox is woken.
async fn inbox_ready(inputs: &inbox::Receiver, wait: bool) {
    if wait {
        inputs.ready().await;
    }
}

/// Hands one input from a link or a script to the core.
fn handle_link_input(
    core: &mut Sentinel,
    shared: &Shared,
    running: &mut BTreeMap<ScriptId, ScriptHandle>,
    input: Input,
) {
    if let Input::ScriptExited { id, .. } = &input {
        running.remove(id);
    }
    core.handle(shared.clock.now(), input);
}

/// What was last published: the view (by identity) and its freshness.
type Published = (usize, bool);

/// Publishes the core's view, and whether it is stale
/// ([`Shared::current_view`]); nothing when neither changed since `last`
/// (a store makes the next readers take the slow path).
fn publish(core: &Sentinel, shared: &Shared, last: &mut Option<Published>) {
    let view = core.view_arc();
    let now = (Arc::as_ptr(&view) as usize, core.view_stale());
    if *last == Some(now) {
        return;
    }
    *last = Some(now);
    shared.view.store(view);
    shared.view_built.store(core.view_built_at().0, Ordering::Release);
    shared.view_stale.store(now.1, Ordering::Release);
}
