//! rsentinel: a Redis Sentinel daemon.
#![warn(missing_docs)]

pub mod config;
pub mod core;
pub mod resp;
