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
//! - [`crate::quoting`] (a leaf, shared with the RESP decoder and the ACL
//!   rules): one line → arguments ([`split_line`]) with redis's quoting, and
//!   back ([`quote`]).
//! - [`parse`] / [`parse_with_overrides`]: the whole file, plus command-line
//!   options, into a [`Config`]. Server directives apply in order; `sentinel`
//!   lines are queued and applied after everything in three passes, like
//!   redis-sentinel. Errors are [`ConfigError`]s with the line and a reason.
//! - [`load_conf`]: the same, following `include` lines through a reader
//!   ([`read_include`] reads files and glob patterns as redis does).
//! - [`rewrite`]: the original text and a (changed) [`Config`] → the new
//!   text, keeping comments and unknown lines, regenerating `sentinel` lines
//!   in place. `parse(&rewrite(text, &config)) == Ok(config)`.
//! - [`persist`]: atomic, durable replacement of the file; [`check_writable`]
//!   is the start-up check for it.
//!
//! - [`parse_yaml`] / [`to_yaml`] (module `yaml`): the same model as YAML.
//!   [`Format`] picks one by the file's extension; [`load_str`] and
//!   [`render`] dispatch on it.
//!
//! Everything here is pure except [`persist`], [`check_writable`] and
//! [`read_include`] (module `persist`), which own the only file I/O.

mod directives;
mod error;
mod model;
mod parse;
mod persist;
mod rewrite;
mod sentinel;
mod tls;
mod yaml;

pub use crate::quoting::{LexError, quote, split_line};
pub use directives::not_acted_on;
pub use error::ConfigError;
pub use model::*;
pub use parse::{
    Loaded, MAX_INCLUDE_DEPTH, ReadInclude, Source, load_conf, parse, parse_with_overrides,
};
pub use persist::{check_writable, persist, read_include};
pub use rewrite::{GENERATED_COMMENT, rewrite};
pub use tls::{
    AuthClients, DEFAULT_SESSION_CACHE_SIZE, DEFAULT_SESSION_CACHE_TIMEOUT, Protocols, TlsSettings,
    default_protocols, protocols, suite_names,
};
pub use yaml::{YAML_HEADER, parse_yaml, to_yaml};

use std::path::Path;

/// The text format of a config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// redis-sentinel's `sentinel.conf`: rewrites keep the operator's lines
    /// and comments.
    #[default]
    Conf,
    /// YAML (`sentinel.yaml`): rewrites regenerate the whole file.
    Yaml,
}

impl Format {
    /// The format a file's name says: `.yaml` or `.yml` (any case) is
    /// YAML, anything else `sentinel.conf`.
    pub fn from_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml") => {
                Format::Yaml
            }
            _ => Format::Conf,
        }
    }
}

/// Parses `text` in `format`, then applies the command-line `overrides`
/// (config lines such as `["port", "5000"]`, for either format).
pub fn load_str(
    format: Format,
    text: &str,
    overrides: &[Vec<String>],
) -> Result<Config, ConfigError> {
    match format {
        Format::Conf => parse_with_overrides(text, overrides),
        Format::Yaml => parse_yaml(text, overrides),
    }
}

/// The text of a file in `format` that describes `config`; `original` is
/// the file as last read or written (a `sentinel.conf` keeps its comments
/// and other lines; a YAML file is regenerated and `original` is unused).
/// Pure. `load_str(format, &render(format, original, &c), &[]) == Ok(c)`.
pub fn render(format: Format, original: &str, config: &Config) -> String {
    match format {
        Format::Conf => rewrite(original, config),
        Format::Yaml => to_yaml(config),
    }
}
