//! The pure, deterministic core of the sentinel.
//!
//! Nothing in this module reads a clock, touches a socket or a file, or draws
//! randomness it was not given: time arrives as a [`Millis`] value with every
//! input. That is what lets the simulation tests replay any interleaving.

mod admin;
mod detect;
mod discovery;
mod election;
mod event;
mod hello;
mod ids;
mod info;
mod input;
mod instance;
mod link;
mod monitor;
mod options;
mod output;
mod pattern;
mod quorum;
mod rng;
mod select;
mod sentinel;
mod snapshot;
mod timer;
mod view;

pub use admin::{SIMFAILURE_CRASH_AFTER_ELECTION, SIMFAILURE_CRASH_AFTER_PROMOTION};
pub use event::{Event, EventLevel, InstanceKind, InstanceRef};
pub use hello::{HELLO_CHANNEL, Hello};
pub use ids::{Addr, Epoch, RunId};
pub use info::{InfoReport, Role, parse_info};
pub use input::{Input, LinkId, RequestId, Tag};
pub use output::{LinkKind, Output};
pub use rng::Rng;
pub use sentinel::Sentinel;
pub use timer::{Millis, Periods, Timer};
pub use view::{InstanceView, MasterView, ReplicaView, SentinelView, View};

#[cfg(test)]
mod tests;
