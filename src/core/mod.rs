//! The pure, deterministic core of the sentinel.
//!
//! Nothing in this module reads a clock, touches a socket or a file, or draws
//! randomness it was not given: time arrives as a [`Millis`] value with every
//! input. That is what lets the simulation tests replay any interleaving.

mod event;
mod hello;
mod ids;
mod info;
mod timer;

pub use event::{Event, EventLevel, InstanceKind, InstanceRef};
pub use hello::{HELLO_CHANNEL, Hello};
pub use ids::{Addr, Epoch, RunId};
pub use info::{InfoReport, Role, parse_info};
pub use timer::Millis;
