//! rsentinel: a Redis Sentinel daemon, wire- and file-compatible with
//! redis-sentinel 7.0, built as a pure deterministic core inside a tokio shell.
//!
//! # Layout
//!
//! The tree reads as the data flow:
//!
//! ```text
//!  sentinel.conf ──config──▶ Config ──▶ core::Sentinel ◀── Input ──┐
//!                   ▲                        │                      │
//!               rewrite+persist            Output ──▶ shell (tokio) ┘
//!                                                    links, actor, server
//! ```
//!
//! - [`config`]: `sentinel.conf` parser, model, rewrite (pure) and
//!   atomic persist (the only file I/O).
//! - [`core`]: the deterministic sentinel: `handle(now, Input)`,
//!   `poll_output()`, `next_deadline()`, `view()`. No clock, no sockets.
//!   Client commands it answers arrive parsed ([`core::AdminCommand`]).
//! - [`resp`]: the RESP codec (RESP2, RESP3, inline) with limits.
//! - [`shell`]: tokio: the actor that owns the core, links to Redis and peer
//!   sentinels, start-up and shutdown.
//! - [`server`]: the RESP server for clients, one module per command family.
//! - [`errors`]: every error text a client can receive (redis-sentinel's).
//! - [`logging`]: redis-sentinel's log line format.
//! - [`commands`]: redis-sentinel 7.0's command table (names, arities,
//!   flags, ACL categories), shared by the server and the ACLs.
//! - [`acl`]: ACL users (`user` lines, `ACL SETUSER`): rules, descriptions,
//!   password and permission checks (pure).
//! - [`glob`]: redis-style glob patterns.
//! - [`quoting`]: redis's argument splitter and its inverse (config lines,
//!   inline commands, ACL selectors).
//! - [`ids`], [`millis`]: the identities (`Addr`, `RunId`, `Epoch`) and the
//!   time unit ([`millis::Millis`]) every layer names.
//! - [`clock`]: the monotonic clock, read by the actor and the server.
//! - [`process`]: process life before the runtime: the config file's
//!   lock, `daemonize`, the pid file.
//! - [`inbox`]: the queue the link and script tasks report to the core's
//!   actor through.
//! - [`scripts`]: spawns the notification and client-reconfig scripts the
//!   core asks for and reports their exit.
//!
//! # Layers
//!
//! A module may use only modules of a lower layer (`.ci/layers` checks it;
//! change the two lists together):
//!
//! ```text
//!  7  shell                                  tokio: wires everything
//!  6  server                                 client connections
//!  5  scripts  clock  logging  process      processes, time, log file
//!  4  inbox                                  what the tasks report to the core
//!  3  core                                   the sentinel
//!  2  config  errors                         the model; reply texts
//!  1  resp  acl                              codec; users
//!  0  ids  millis  quoting  glob  commands   leaves
//! ```
//!
//! Layers 0-3 are pure except `config/persist.rs` (the purity grep in
//! `.ci/run`): no sockets, no clock, no file system, no OS entropy. The
//! layers above are where those are.
#![warn(missing_docs)]

pub mod acl;
pub mod clock;
pub mod commands;
pub mod config;
pub mod core;
pub mod errors;
pub mod glob;
pub mod ids;
pub mod inbox;
pub mod logging;
pub mod millis;
pub mod process;
pub mod quoting;
pub mod resp;
pub mod scripts;
pub mod server;
pub mod shell;
