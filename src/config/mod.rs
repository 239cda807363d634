//! Configuration: `sentinel.conf` text → [`Config`] model → text again.
//!
//! # Flow
//!
//! ```text
//!  sentinel.conf ──parse_with_overrides──▶ Config ──(sentinel runs, state changes)──▶ Config'
//!    (+ --options)        │                                                            │
//!                    ConfigError                          rewrite(original text, &Config')
//!               (render → FATAL CONFIG FILE ERROR)                                     │
//!                                                         persist(path, text) ◀────────┘
//! ```
//!
//! - [`lexer`]: one line → arguments ([`split_line`]) with redis's quoting,
//!   and back ([`quote`]).
//! - [`parse`] / [`parse_with_overrides`]: the whole file, plus command-line
//!   options, into a [`Config`]. Server directives apply in order; `sentinel`
//!   lines are queued and applied after everything in three passes, like
//!   redis-sentinel. Errors are [`ConfigError`]s with the line and a reason.
//! - [`rewrite`]: the original text and a (changed) [`Config`] → the new
//!   text, keeping comments and unknown lines, regenerating `sentinel` lines
//!   in place. `parse(&rewrite(text, &config)) == Ok(config)`.
//! - [`persist`]: atomic, durable replacement of the file; [`check_writable`]
//!   is the start-up check for it.
//!
//! Everything here is pure except [`persist`] and [`check_writable`]
//! (module `persist`), which own the only file I/O.

mod directives;
mod error;
pub mod lexer;
mod model;
mod parse;
mod persist;
mod rewrite;
mod sentinel;

pub use error::ConfigError;
pub use lexer::{LexError, quote, split_line};
pub use model::*;
pub use parse::{parse, parse_with_overrides};
pub use persist::{check_writable, persist};
pub use rewrite::{GENERATED_COMMENT, rewrite};
