//! Running scripts: one task per script the core asked for.
//!
//! The core decides what runs, when to retry and when to give up
//! (`core/scripts.rs`). This module only spawns the executable with its
//! arguments (no shell: argv = path + args), kills it when the core says
//! its runtime cap is reached (`Output::KillScript`), and reports the start
//! and the exit as inputs. A script that cannot be started is reported as
//! exit code 2, which is what redis-sentinel's child does when `execve`
//! fails.

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

use tokio::process::Command;
use tokio::sync::oneshot;
use tracing::warn;

use crate::core::{Input, ScriptId};
use crate::inbox;

/// True when `path` is a file with an execute bit: what redis-sentinel
/// requires of a script, at load and at `SENTINEL SET`.
pub fn is_executable(path: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The actor's handle on a running script.
#[derive(Debug)]
pub struct ScriptHandle {
    kill: Option<oneshot::Sender<()>>,
}

impl ScriptHandle {
    /// Sends SIGKILL to the script (its exit is still reported).
    pub fn kill(&mut self) {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
    }
}

/// Spawns `path args...`; reports `Input::ScriptStarted` and then
/// `Input::ScriptExited` on `inputs`.
pub fn spawn(id: ScriptId, path: String, args: Vec<String>, inputs: inbox::Sender) -> ScriptHandle {
    let (kill, killed) = oneshot::channel();
    tokio::spawn(run(id, path, args, killed, inputs));
    ScriptHandle { kill: Some(kill) }
}

async fn run(
    id: ScriptId,
    path: String,
    args: Vec<String>,
    mut killed: oneshot::Receiver<()>,
    inputs: inbox::Sender,
) {
    let mut command = Command::new(&path);
    command.args(&args).stdin(Stdio::null());
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            warn!("cannot run script {path}: {e}");
            inputs.send(Input::ScriptExited { id, code: Some(2), signal: None });
            return;
        }
    };
    if let Some(pid) = child.id() {
        inputs.send(Input::ScriptStarted { id, pid });
    }
    let status = tokio::select! {
        status = child.wait() => status,
        Ok(()) = &mut killed => {
            let _ = child.start_kill();
            child.wait().await
        }
    };
    let (code, signal) = match status {
        Ok(status) => (status.code(), status.signal()),
        Err(e) => {
            warn!("waiting for script {path}: {e}");
            (Some(2), None)
        }
    };
    inputs.send(Input::ScriptExited { id, code, signal });
}
