//! The pure, deterministic core of the sentinel.
//!
//! Nothing in this module reads a clock, touches a socket or a file, or draws
//! randomness it was not given: time arrives as a [`Millis`] value with every
//! input. That is what lets the simulation tests replay any interleaving.

mod event;
mod hello;
mod ids;
mod info;
mod input;
mod output;
mod rng;
mod sentinel;
mod timer;
mod view;

pub use event::{Event, EventLevel, InstanceKind, InstanceRef};
pub use hello::{HELLO_CHANNEL, Hello};
pub use ids::{Addr, Epoch, RunId};
pub use info::{InfoReport, Role, parse_info};
pub use input::{Input, LinkId, RequestId, Tag};
pub use output::{LinkKind, Output};
pub use rng::Rng;
pub use sentinel::Sentinel;
pub use timer::Millis;
pub use view::{InstanceView, MasterView, ReplicaView, SentinelView, View};
