//! [`Sentinel`]: the core's whole API.

use std::collections::VecDeque;

use super::event::{Event, InstanceRef};
use super::ids::RunId;
use super::input::Input;
use super::output::Output;
use super::rng::Rng;
use super::timer::Millis;
use super::view::{InstanceView, MasterView, View};
use crate::config::Config;

/// The sentinel's brain: a deterministic state machine.
///
/// Drive it like this (the shell's actor loop does, and so do the tests):
/// 1. [`handle`](Self::handle) one input with the current time;
/// 2. drain [`poll_output`](Self::poll_output) until `None`, carrying out each
///    output in order;
/// 3. sleep until [`next_deadline`](Self::next_deadline) or the next input.
///
/// Same configuration, seed and inputs give the same outputs, always.
#[derive(Debug)]
pub struct Sentinel {
    /// The configuration, kept up to date with the state to persist.
    config: Config,
    /// The seeded source of randomness.
    rng: Rng,
    /// Outputs waiting to be polled.
    outputs: VecDeque<Output>,
    /// The read model, rebuilt after every input.
    view: View,
}

impl Sentinel {
    /// Builds the core from a loaded configuration.
    ///
    /// A missing `myid` is generated from the seed and persisted at once;
    /// every master is announced with `+monitor`.
    pub fn new(mut config: Config, seed: u64, now: Millis) -> Sentinel {
        let mut rng = Rng::new(seed);
        let mut outputs = VecDeque::new();
        if config.sentinel.myid.is_none() {
            config.sentinel.myid = Some(RunId(rng.hex40()));
            outputs.push_back(Output::Persist(Box::new(config.clone())));
        }
        for m in &config.masters {
            let instance = InstanceRef::master(m.name.clone(), m.addr.clone());
            outputs.push_back(Output::Event(Event::Monitor { master: instance, quorum: m.quorum }));
        }
        let mut sentinel = Sentinel { config, rng, outputs, view: View::default() };
        sentinel.rebuild_view(now);
        sentinel
    }

    /// Feeds one input. Never fails: malformed data is ignored.
    pub fn handle(&mut self, now: Millis, input: Input) {
        let _ = (&mut self.rng, input);
        self.rebuild_view(now);
    }

    /// The next output to carry out, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When the core next needs an `Input::Timeout`; `None` = idle.
    pub fn next_deadline(&self) -> Option<Millis> {
        None
    }

    /// The read model as of the last input.
    pub fn view(&self) -> &View {
        &self.view
    }

    /// The configuration with the current state.
    pub fn config(&self) -> &Config {
        &self.config
    }

    fn rebuild_view(&mut self, _now: Millis) {
        let myid = self.config.sentinel.myid.clone().expect("myid is set in Sentinel::new");
        let mut masters: Vec<MasterView> = self
            .config
            .masters
            .iter()
            .map(|m| MasterView {
                instance: InstanceView {
                    name: m.name.clone(),
                    addr: m.addr.clone(),
                    flags: vec!["master", "disconnected"],
                    link_refcount: 1,
                    down_after_ms: m.down_after_ms,
                    role_reported: "master",
                    ..InstanceView::default()
                },
                client_addr: m.addr.clone(),
                config_epoch: m.config_epoch,
                quorum: m.quorum,
                failover_timeout_ms: m.failover_timeout_ms,
                parallel_syncs: m.parallel_syncs,
                notification_script: m.notification_script.clone(),
                client_reconfig_script: m.client_reconfig_script.clone(),
                ..MasterView::default()
            })
            .collect();
        masters.sort_by(|a, b| a.instance.name.cmp(&b.instance.name));
        self.view = View {
            myid,
            current_epoch: self.config.sentinel.current_epoch,
            masters,
            ..View::default()
        };
    }
}
