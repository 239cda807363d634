//! The script queue (spec §5 "Scripts"): which script runs, when it is
//! retried and when it is given up.
//!
//! A notification script is queued for every WARNING event whose instance's
//! master has a `notification-script` (`<type> <message>`); a client-reconfig
//! script at `+promoted-slave` on the leader and at a switch from a hello on
//! an observer. The shell only spawns ([`Output::RunScript`]), kills
//! ([`Output::KillScript`]) and reports ([`Input::ScriptExited`]); the rules
//! are redis-sentinel's:
//!
//! - at most [`MAX_RUNNING`] scripts run at once, [`MAX_QUEUE`] are queued
//!   (running ones included); queuing one more drops the oldest job that is
//!   not running;
//! - exit 0 is done; exit 1 or a signal is retried after the retry delay
//!   (30 s) × 2^(attempt − 1), at most [`MAX_ATTEMPTS`] attempts, the last
//!   failure emitting `-script-error`; exit ≥ 2 is not retried
//!   (`-script-error <path> <signal> <exit-code>`);
//! - a script running for the max runtime (60 s) is killed
//!   (`-script-timeout <path> <pid>`); the kill counts as a signal, so it is
//!   retried.
//!
//! [`Input::ScriptExited`]: super::Input::ScriptExited

use std::collections::VecDeque;

use super::ctx::MasterCtx;
use super::event::{Event, EventLevel};
use super::ids::Addr;
use super::output::Output;
use super::sentinel::Sentinel;
use super::timer::{Earliest, Millis, Timer, reached};
use crate::resp::Frame;

/// Scripts running at once, at most.
pub const MAX_RUNNING: usize = 16;
/// Jobs in the queue (running ones included), at most.
pub const MAX_QUEUE: usize = 256;
/// Attempts of one job, at most.
pub const MAX_ATTEMPTS: u32 = 10;

/// Identifies one script job, chosen by the core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScriptId(pub u64);

/// One queued or running script.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    id: ScriptId,
    path: String,
    args: Vec<String>,
    /// Attempts started so far.
    attempts: u32,
    /// Running since this time (running), or not to start before it.
    at: Millis,
    running: bool,
    /// The process id the shell reported (0 until then).
    pid: u32,
    /// The timeout kill was sent.
    killed: bool,
}

/// The queue, oldest job first.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scripts {
    jobs: VecDeque<Job>,
    next_id: u64,
}

impl Scripts {
    /// How many scripts run.
    pub fn running(&self) -> usize {
        self.jobs.iter().filter(|j| j.running).count()
    }

    /// How many jobs are queued, running ones included.
    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    /// Queues `path args...` to run as soon as a slot is free.
    pub fn queue(&mut self, now: Millis, path: &str, args: Vec<String>) {
        self.next_id += 1;
        self.jobs.push_back(Job {
            id: ScriptId(self.next_id),
            path: path.to_owned(),
            args,
            attempts: 0,
            at: now,
            running: false,
            pid: 0,
            killed: false,
        });
        if self.jobs.len() > MAX_QUEUE
            && let Some(i) = self.jobs.iter().position(|j| !j.running)
        {
            self.jobs.remove(i);
        }
    }
}

impl Job {
    /// When it may start (`None`: it runs).
    fn start_at(&self) -> Option<Millis> {
        (!self.running).then_some(self.at)
    }

    /// When it is killed for running too long (`None`: it does not run, or
    /// was killed).
    fn kill_at(&self, max_runtime: Millis) -> Option<Millis> {
        (self.running && !self.killed).then_some(self.at + max_runtime)
    }
}

impl MasterCtx<'_> {
    /// Queues the master's client-reconfig script, if it has one:
    /// `<name> <role> start <from-ip> <from-port> <to-ip> <to-port>`.
    pub(crate) fn queue_client_reconfig(&mut self, role: &str, from: &Addr, to: &Addr) {
        let Some(path) = &self.mc.client_reconfig_script else { return };
        let hostnames = self.config.sentinel.announce_hostnames;
        let (from, to) = (self.names.announce(from, hostnames), self.names.announce(to, hostnames));
        let name = self.mc.name.as_str();
        let args = [name, role, "start", &from.host, &from.port.to_string(), &to.host]
            .map(str::to_owned)
            .into_iter()
            .chain([to.port.to_string()])
            .collect();
        self.scripts.queue(self.now, path, args);
    }
}

impl Sentinel {
    /// Queues the notification scripts of the warning events among the
    /// outputs from index `from` on (every event path pushes there).
    pub(crate) fn queue_notifications(&mut self, now: Millis, from: usize) {
        let Sentinel { out, masters, scripts, .. } = self;
        let warnings = out.queue.iter().skip(from).filter_map(|o| match o {
            Output::Event(e) if e.level() == EventLevel::Warning => Some(e),
            _ => None,
        });
        for e in warnings {
            let Some(mc) = e.instance().and_then(|i| masters.config(i.master_name())) else {
                continue;
            };
            if let Some(path) = &mc.notification_script {
                scripts.queue(now, path, vec![e.channel().to_owned(), e.message()]);
            }
        }
    }

    /// Starts the jobs whose [`Job::start_at`] is reached while slots are
    /// free, then kills the ones whose [`Job::kill_at`] is.
    pub(crate) fn run_scripts(&mut self, now: Millis) {
        let mut running = self.scripts.running();
        for j in self.scripts.jobs.iter_mut() {
            if running >= MAX_RUNNING {
                break;
            }
            if reached(j.start_at(), now) {
                j.running = true;
                j.attempts += 1;
                j.at = now;
                j.pid = 0;
                j.killed = false;
                running += 1;
                let (id, path, args) = (j.id, j.path.clone(), j.args.clone());
                self.out.push(Output::RunScript { id, path, args });
            }
        }
        let max = self.periods.script_max_runtime();
        let mut events = Vec::new();
        for j in self.scripts.jobs.iter_mut() {
            if reached(j.kill_at(max), now) {
                j.killed = true;
                self.out.push(Output::KillScript { id: j.id });
                events.push(Event::ScriptTimeout { path: j.path.clone(), pid: j.pid });
            }
        }
        for e in events {
            self.event(e);
        }
    }

    /// The deadlines of [`Sentinel::run_scripts`].
    pub(crate) fn script_deadlines(&self, e: &mut Earliest) {
        let s = &self.scripts;
        if s.running() < MAX_RUNNING {
            e.arm(Timer::ScriptRetry, s.jobs.iter().filter_map(Job::start_at).min());
        }
        let max = self.periods.script_max_runtime();
        e.arm(Timer::ScriptTimeout, s.jobs.iter().filter_map(|j| j.kill_at(max)).min());
    }

    /// The shell started job `id` as process `pid`.
    pub(crate) fn on_script_started(&mut self, id: ScriptId, pid: u32) {
        if let Some(j) = self.scripts.jobs.iter_mut().find(|j| j.id == id && j.running) {
            j.pid = pid;
            self.event(Event::ScriptChild { pid });
        }
    }

    /// Job `id` ended: done, retried later, or given up.
    pub(crate) fn on_script_exited(
        &mut self,
        now: Millis,
        id: ScriptId,
        code: Option<i32>,
        signal: Option<i32>,
    ) {
        let Some(i) = self.scripts.jobs.iter().position(|j| j.id == id && j.running) else {
            return;
        };
        let (code, signal) = (code.unwrap_or(0), signal.unwrap_or(0));
        let delay = self.periods.script_retry_delay();
        let j = &mut self.scripts.jobs[i];
        if j.pid != 0 {
            let pid = j.pid;
            self.out.push(Output::Event(Event::ScriptChildExit { pid, exit_code: code, signal }));
        }
        let j = &mut self.scripts.jobs[i];
        if (signal != 0 || code == 1) && j.attempts < MAX_ATTEMPTS {
            j.running = false;
            j.pid = 0;
            j.at = now + Millis(delay.0 << (j.attempts - 1));
            return;
        }
        let Some(j) = self.scripts.jobs.remove(i) else { return };
        if signal != 0 || code != 0 {
            self.event(Event::ScriptError { path: j.path, signal, exit_code: code });
        }
    }

    /// `SENTINEL PENDING-SCRIPTS`.
    pub(crate) fn pending_scripts(&self, now: Millis) -> Frame {
        let num = |n: u64| Frame::bulk(n.to_string());
        let jobs = self.scripts.jobs.iter().map(|j| {
            let argv = std::iter::once(&j.path).chain(&j.args).map(Frame::bulk).collect();
            let (flags, time_key, time) = if j.running {
                ("running", "run-time", (now - j.at).0)
            } else {
                ("scheduled", "run-delay", (j.at - now).0)
            };
            Frame::Map(vec![
                (Frame::bulk("argv"), Frame::Array(argv)),
                (Frame::bulk("flags"), Frame::bulk(flags)),
                (Frame::bulk("pid"), num(j.pid.into())),
                (Frame::bulk(time_key), num(time)),
                (Frame::bulk("retry-num"), num(j.attempts.into())),
            ])
        });
        Frame::Array(jobs.collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentinel() -> Sentinel {
        let text = "port 26379\nsentinel myid 5e0000000000000000000000000000000000000e\n";
        let config = crate::config::parse(text).expect("valid config");
        Sentinel::new(config, 1, Millis::ZERO)
    }

    #[test]
    fn the_257th_job_drops_the_oldest_not_running() {
        let mut s = sentinel();
        s.scripts.queue(Millis::ZERO, "/first", vec![]);
        s.run_scripts(Millis::ZERO);
        for i in 0..MAX_QUEUE {
            s.scripts.queue(Millis::ZERO, &format!("/job{i}"), vec![]);
        }
        assert_eq!(s.scripts.len(), MAX_QUEUE);
        let paths: Vec<&str> = s.scripts.jobs.iter().map(|j| j.path.as_str()).collect();
        // The running job stays; the oldest scheduled one (/job0) is gone.
        assert_eq!(paths[..2], ["/first", "/job1"]);
        assert_eq!(paths.last(), Some(&"/job255"));
    }

    #[test]
    fn at_most_sixteen_run_at_once() {
        let mut s = sentinel();
        for i in 0..20 {
            s.scripts.queue(Millis::ZERO, &format!("/job{i}"), vec![]);
        }
        s.run_scripts(Millis::ZERO);
        assert_eq!(s.scripts.running(), MAX_RUNNING);
        let first = s.scripts.jobs[0].id;
        s.on_script_exited(Millis(5), first, Some(0), None);
        s.run_scripts(Millis(5));
        assert_eq!((s.scripts.running(), s.scripts.len()), (MAX_RUNNING, 19));
    }
}
