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
//! - [`config`]: `sentinel.conf` lexer, parser, model, rewrite (pure) and
//!   atomic persist (the only file I/O).
//! - [`core`]: the deterministic sentinel: `handle(now, Input)`,
//!   `poll_output()`, `next_deadline()`, `view()`. No clock, no sockets.
//! - [`resp`]: the RESP codec (RESP2, RESP3, inline) with limits.
//! - [`shell`]: tokio: the actor that owns the core, links to Redis and peer
//!   sentinels, the clock, start-up and shutdown.
//! - [`server`]: the RESP server for clients, one module per command family.
//! - [`errors`]: every error text a client can receive (redis-sentinel's).
//! - [`logging`]: redis-sentinel's log line format.
//! - [`commands`]: redis-sentinel 7.0's command table (names, arities,
//!   flags, ACL categories), shared by the server and the ACLs.
//! - [`acl`]: ACL users (`user` lines, `ACL SETUSER`): rules, descriptions,
//!   password and permission checks (pure).
//! - [`glob`]: redis-style glob patterns.
//! - [`scripts`]: spawns the notification and client-reconfig scripts the
//!   core asks for and reports their exit.
#![warn(missing_docs)]

pub mod acl;
pub mod commands;
pub mod config;
pub mod core;
pub mod errors;
pub mod glob;
pub mod logging;
pub mod resp;
pub mod scripts;
pub mod server;
pub mod shell;
