//! [`Masters`]: the monitored masters, one record each, with what makes an
//! input's cost independent of how many there are.
//!
//! Each record holds the master's configuration, its run-time state and its
//! earliest deadline as of the last step that visited it. Beside the
//! records, an index of the deadlines in time order: the masters due at
//! `now` are read off its front, and the earliest deadline is its first
//! entry. A step visits the master an input concerns plus the ones due
//! (`sentinel.rs`, `Scope`); the views of the visited masters are built
//! again when the view is next built (`snapshot.rs`), the others' shared. Before this index, finding the due masters was a
//! walk over every master on every input; with a thousand masters that walk
//! (string comparisons in map lookups) was half of the idle CPU.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::instance::Master;
use super::timer::{Millis, Timer};
use super::view::{MasterView, MasterViews};
use crate::config::MasterConfig;

/// One master's record.
#[derive(Debug)]
struct Record {
    /// What its configuration says (kept up to date with what is
    /// persisted: address, epochs, known replicas and peers).
    config: MasterConfig,
    /// The run-time state.
    state: Master,
    /// When it was added, counted: the configuration lists the masters in
    /// this order (the file's order, then `SENTINEL MONITOR`'s).
    added: u64,
    /// The earliest deadline of its rules, as of the last step that visited
    /// it (`None`: nothing scheduled).
    next: Option<(Millis, Timer)>,
}

/// The monitored masters by name, in name order.
#[derive(Debug, Default)]
pub(crate) struct Masters {
    records: BTreeMap<String, Record>,
    /// `(deadline, name)` of every record whose `next` is set.
    due: BTreeSet<(Millis, String)>,
    /// The views as last built, shared with the published view.
    views: MasterViews,
    /// The masters visited since the views were built: theirs is to build
    /// again.
    unbuilt: BTreeSet<String>,
    /// Masters added so far (`Record::added`).
    added: u64,
}

impl Masters {
    /// The configuration of master `name`.
    pub fn config(&self, name: &str) -> Option<&MasterConfig> {
        self.records.get(name).map(|r| &r.config)
    }

    /// Master `name`'s configuration and state.
    pub fn record(&self, name: &str) -> Option<(&MasterConfig, &Master)> {
        self.records.get(name).map(|r| (&r.config, &r.state))
    }

    /// Master `name`'s configuration, and its state to change.
    pub fn record_mut(&mut self, name: &str) -> Option<(&MasterConfig, &mut Master)> {
        self.records.get_mut(name).map(|r| (&r.config, &mut r.state))
    }

    /// Master `name`'s configuration and state, both to change.
    pub fn both_mut(&mut self, name: &str) -> Option<(&mut MasterConfig, &mut Master)> {
        self.records.get_mut(name).map(|r| (&mut r.config, &mut r.state))
    }

    /// Configurations and states, in the order the masters were added.
    pub fn in_added_order(&self) -> impl Iterator<Item = (&MasterConfig, &Master)> {
        let mut records: Vec<&Record> = self.records.values().collect();
        records.sort_by_key(|r| r.added);
        records.into_iter().map(|r| (&r.config, &r.state))
    }

    /// Configurations and states, in name order.
    pub fn records(&self) -> impl Iterator<Item = (&MasterConfig, &Master)> {
        self.records.values().map(|r| (&r.config, &r.state))
    }

    /// Names, configurations and states, in name order, to change.
    pub fn iter_both_mut(
        &mut self,
    ) -> impl Iterator<Item = (&String, &mut MasterConfig, &mut Master)> {
        self.records.iter_mut().map(|(n, r)| (n, &mut r.config, &mut r.state))
    }

    /// The state of master `name`.
    pub fn get(&self, name: &str) -> Option<&Master> {
        self.records.get(name).map(|r| &r.state)
    }

    /// The state of master `name`, to change.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Master> {
        self.records.get_mut(name).map(|r| &mut r.state)
    }

    /// Whether master `name` is monitored.
    pub fn contains_key(&self, name: &str) -> bool {
        self.records.contains_key(name)
    }

    /// Starts monitoring a master (replacing a record of that name, whose
    /// deadline is dropped): not scheduled and not built yet.
    pub fn insert(&mut self, config: MasterConfig, state: Master) {
        let name = config.name.clone();
        self.remove(&name);
        self.unbuilt.insert(name.clone());
        self.added += 1;
        self.records.insert(name, Record { config, state, added: self.added, next: None });
    }

    /// Stops monitoring master `name`; its state.
    pub fn remove(&mut self, name: &str) -> Option<Master> {
        let record = self.records.remove(name)?;
        self.views.remove(name);
        self.unbuilt.remove(name);
        if let Some((at, _)) = record.next {
            self.due.remove(&(at, name.to_owned()));
        }
        Some(record.state)
    }

    /// How many masters are monitored.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no master is monitored.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.records.keys()
    }

    /// Names and states, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Master)> {
        self.records.iter().map(|(n, r)| (n, &r.state))
    }

    /// The masters whose deadline is at or before `now`, in name order.
    pub fn due_at(&self, now: Millis) -> Vec<String> {
        let mut names: Vec<String> =
            self.due.iter().take_while(|(at, _)| *at <= now).map(|(_, n)| n.clone()).collect();
        names.sort();
        names
    }

    /// The earliest deadline of any master.
    pub fn earliest(&self) -> Option<(Millis, Timer)> {
        let (_, name) = self.due.first()?;
        self.records.get(name).and_then(|r| r.next)
    }

    #[cfg(debug_assertions)]
    /// Master `name`'s deadline as of its last visit.
    pub fn next(&self, name: &str) -> Option<(Millis, Timer)> {
        self.records.get(name).and_then(|r| r.next)
    }

    /// Records master `name`'s deadline after a visit, and that its view
    /// must be built again.
    pub fn visited(&mut self, name: &str, next: Option<(Millis, Timer)>) {
        let Some(record) = self.records.get_mut(name) else { return };
        if !self.unbuilt.contains(name) {
            // (checked first: the name is only copied when it is new)
            self.unbuilt.insert(name.to_owned());
        }
        if record.next.map(|(at, _)| at) != next.map(|(at, _)| at) {
            if let Some((at, _)) = record.next {
                self.due.remove(&(at, name.to_owned()));
            }
            if let Some((at, _)) = next {
                self.due.insert((at, name.to_owned()));
            }
        }
        record.next = next;
    }

    /// The masters whose view is to be built (visited since the last
    /// build).
    pub fn unbuilt(&self) -> impl Iterator<Item = (&String, &Master)> {
        self.unbuilt.iter().filter_map(|n| Some((n, &self.records.get(n)?.state)))
    }

    /// Keeps the views built for [`Masters::unbuilt`]; the views of every
    /// master, shared.
    pub fn built(&mut self, views: Vec<(String, Arc<MasterView>)>) -> MasterViews {
        for (name, view) in views {
            self.views.insert(name, view);
        }
        self.unbuilt.clear();
        self.views.clone()
    }
}
