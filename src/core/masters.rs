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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use compact_str::CompactString;

use super::instance::Master;
use super::timer::{Millis, Timer};
use super::view::{MasterView, MasterViews};
use crate::config::MasterConfig;

/// A master's handle while it is monitored: an index into the records,
/// so that the step, the due index and the rearm never compare or copy
/// names. A removed master's id may be given to a master added later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct MasterId(u32);

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
    /// Visited since its view was last built.
    unbuilt: bool,
}

/// The monitored masters, by id and by name.
#[derive(Debug, Default)]
pub(crate) struct Masters {
    /// The records by [`MasterId`]; `None`: a free id.
    slots: Vec<Option<Record>>,
    /// The ids of the free slots.
    free: Vec<MasterId>,
    /// Every record's id by name (name order is the listing order).
    by_name: BTreeMap<String, MasterId>,
    /// The same, hashed, names inline up to 24 bytes: what finding a
    /// master by name uses. A search of `by_name` compares the name with a
    /// string on the heap at each of its steps, a cache miss each with a
    /// thousand masters; every peer's hello names its master (two thousand
    /// a second in a fleet of three).
    ids: HashMap<CompactString, MasterId>,
    /// `(deadline, id)` of every record whose `next` is set.
    due: BTreeSet<(Millis, MasterId)>,
    /// The views as last built, shared with the published view.
    views: MasterViews,
    /// The masters visited since the views were built: theirs is to build
    /// again.
    unbuilt: Vec<MasterId>,
    /// Masters added so far (`Record::added`).
    added: u64,
}

impl Masters {
    fn slot(&self, id: MasterId) -> Option<&Record> {
        self.slots.get(id.0 as usize)?.as_ref()
    }

    fn slot_mut(&mut self, id: MasterId) -> Option<&mut Record> {
        self.slots.get_mut(id.0 as usize)?.as_mut()
    }

    fn named(&self, name: &str) -> Option<&Record> {
        self.slot(*self.ids.get(name)?)
    }

    fn named_mut(&mut self, name: &str) -> Option<&mut Record> {
        let id = *self.ids.get(name)?;
        self.slot_mut(id)
    }

    /// The id of master `name`.
    pub fn id(&self, name: &str) -> Option<MasterId> {
        self.ids.get(name).copied()
    }

    /// The name of master `id`.
    pub fn name(&self, id: MasterId) -> Option<&str> {
        self.slot(id).map(|r| r.config.name.as_str())
    }

    /// The configuration of master `name`.
    pub fn config(&self, name: &str) -> Option<&MasterConfig> {
        self.named(name).map(|r| &r.config)
    }

    /// The configuration of master `id`.
    pub fn config_by_id(&self, id: MasterId) -> Option<&MasterConfig> {
        self.slot(id).map(|r| &r.config)
    }

    /// The state of master `id`, to change.
    pub fn get_mut_by_id(&mut self, id: MasterId) -> Option<&mut Master> {
        self.slot_mut(id).map(|r| &mut r.state)
    }

    /// The state of master `id`.
    pub fn get_by_id(&self, id: MasterId) -> Option<&Master> {
        self.slot(id).map(|r| &r.state)
    }

    /// Master `id`'s configuration and state.
    pub fn record_by_id(&self, id: MasterId) -> Option<(&MasterConfig, &Master)> {
        self.slot(id).map(|r| (&r.config, &r.state))
    }

    /// Master `id`'s configuration, and its state to change.
    pub fn record_mut_by_id(&mut self, id: MasterId) -> Option<(&MasterConfig, &mut Master)> {
        self.slot_mut(id).map(|r| (&r.config, &mut r.state))
    }

    /// Master `name`'s configuration and state.
    pub fn record(&self, name: &str) -> Option<(&MasterConfig, &Master)> {
        self.named(name).map(|r| (&r.config, &r.state))
    }

    /// Master `name`'s configuration, and its state to change.
    pub fn record_mut(&mut self, name: &str) -> Option<(&MasterConfig, &mut Master)> {
        self.named_mut(name).map(|r| (&r.config, &mut r.state))
    }

    /// Master `name`'s configuration and state, both to change.
    pub fn both_mut(&mut self, name: &str) -> Option<(&mut MasterConfig, &mut Master)> {
        self.named_mut(name).map(|r| (&mut r.config, &mut r.state))
    }

    /// Master `id`'s configuration and state, both to change.
    pub fn both_mut_by_id(&mut self, id: MasterId) -> Option<(&mut MasterConfig, &mut Master)> {
        self.slot_mut(id).map(|r| (&mut r.config, &mut r.state))
    }

    /// Configurations and states, in the order the masters were added.
    pub fn in_added_order(&self) -> impl Iterator<Item = (&MasterConfig, &Master)> {
        let mut records: Vec<&Record> = self.slots.iter().flatten().collect();
        records.sort_by_key(|r| r.added);
        records.into_iter().map(|r| (&r.config, &r.state))
    }

    /// Configurations and states, in name order.
    pub fn records(&self) -> impl Iterator<Item = (&MasterConfig, &Master)> {
        self.by_name.values().filter_map(|id| self.slot(*id)).map(|r| (&r.config, &r.state))
    }

    /// Configurations and states, in name order, to change.
    pub fn iter_both_mut(&mut self) -> impl Iterator<Item = (&mut MasterConfig, &mut Master)> {
        let mut records: Vec<&mut Record> = self.slots.iter_mut().flatten().collect();
        records.sort_by(|a, b| a.config.name.cmp(&b.config.name));
        records.into_iter().map(|r| (&mut r.config, &mut r.state))
    }

    /// The state of master `name`.
    pub fn get(&self, name: &str) -> Option<&Master> {
        self.named(name).map(|r| &r.state)
    }

    /// Starts monitoring a master (replacing a record of that name, whose
    /// deadline is dropped): not scheduled and not built yet.
    pub fn insert(&mut self, config: MasterConfig, state: Master) {
        let name = config.name.clone();
        self.remove(&name);
        self.added += 1;
        let record = Record { config, state, added: self.added, next: None, unbuilt: true };
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id.0 as usize] = Some(record);
                id
            }
            None => {
                self.slots.push(Some(record));
                MasterId(u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 masters"))
            }
        };
        self.unbuilt.push(id);
        self.ids.insert(CompactString::from(name.as_str()), id);
        self.by_name.insert(name, id);
    }

    /// Stops monitoring master `name`; its state.
    pub fn remove(&mut self, name: &str) -> Option<Master> {
        let id = self.by_name.remove(name)?;
        self.ids.remove(name);
        let record = self.slots[id.0 as usize].take()?;
        self.free.push(id);
        self.views.remove(name);
        self.unbuilt.retain(|u| *u != id);
        if let Some((at, _)) = record.next {
            self.due.remove(&(at, id));
        }
        Some(record.state)
    }

    /// How many masters are monitored.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether no master is monitored.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.by_name.keys()
    }

    /// The ids, in name order.
    pub fn ids(&self) -> impl Iterator<Item = MasterId> {
        self.by_name.values().copied()
    }

    /// Names and states, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Master)> {
        self.by_name.iter().filter_map(|(n, id)| Some((n, &self.slot(*id)?.state)))
    }

    /// Puts `ids` in name order (the order masters are visited in) without
    /// repeats.
    pub fn sort_by_name(&self, ids: &mut Vec<MasterId>) {
        ids.sort_unstable();
        ids.dedup();
        if ids.len() > 1 {
            ids.sort_by(|a, b| self.name(*a).cmp(&self.name(*b)));
        }
    }

    /// Appends the masters whose deadline is at or before `now` to `ids`.
    pub fn due_at(&self, now: Millis, ids: &mut Vec<MasterId>) {
        ids.extend(self.due.iter().take_while(|(at, _)| *at <= now).map(|(_, id)| *id));
    }

    /// The earliest deadline of any master.
    pub fn earliest(&self) -> Option<(Millis, Timer)> {
        let (_, id) = self.due.first()?;
        self.slot(*id).and_then(|r| r.next)
    }

    #[cfg(debug_assertions)]
    /// Master `id`'s deadline as of its last visit.
    pub fn next(&self, id: MasterId) -> Option<(Millis, Timer)> {
        self.slot(id).and_then(|r| r.next)
    }

    /// Records master `id`'s deadline after a visit, and that its view
    /// must be built again.
    pub fn visited(&mut self, id: MasterId, next: Option<(Millis, Timer)>) {
        self.touched(id);
        let Masters { slots, due, .. } = self;
        let Some(record) = slots.get_mut(id.0 as usize).and_then(Option::as_mut) else { return };
        if record.next.map(|(at, _)| at) != next.map(|(at, _)| at) {
            if let Some((at, _)) = record.next {
                due.remove(&(at, id));
            }
            if let Some((at, _)) = next {
                due.insert((at, id));
            }
        }
        record.next = next;
    }

    /// Marks master `id`'s view to be built again, its deadline kept (an
    /// input changed what the view shows, not when its rules are due).
    pub fn touched(&mut self, id: MasterId) {
        let Masters { slots, unbuilt, .. } = self;
        let Some(record) = slots.get_mut(id.0 as usize).and_then(Option::as_mut) else { return };
        if !record.unbuilt {
            record.unbuilt = true;
            unbuilt.push(id);
        }
    }

    /// The masters whose view is to be built (visited since the last
    /// build).
    pub fn unbuilt(&self) -> impl Iterator<Item = (&String, &Master)> {
        self.unbuilt.iter().filter_map(|id| self.slot(*id)).map(|r| (&r.config.name, &r.state))
    }

    /// Keeps the views built for [`Masters::unbuilt`]; the views of every
    /// master, shared.
    pub fn built(&mut self, views: Vec<(String, Arc<MasterView>)>) -> MasterViews {
        for (name, view) in views {
            self.views.insert(name, view);
        }
        for id in std::mem::take(&mut self.unbuilt) {
            if let Some(record) = self.slot_mut(id) {
                record.unbuilt = false;
            }
        }
        self.views.clone()
    }
}
