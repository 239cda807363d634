//! `sentinel.yaml`: the same [`Config`] model, written as YAML.
//!
//! ```yaml
//! port: 5000
//! bind: [127.0.0.1]
//! sentinel:
//!   announce-ip: 10.0.0.5
//! masters:
//!   mymaster:
//!     host: 127.0.0.1
//!     port: 6379
//!     quorum: 2
//!     down-after: 5s
//! state:            # written by rsentinel
//!   myid: 9f1c...
//!   current-epoch: 0
//!   masters:
//!     mymaster: { config-epoch: 0, leader-epoch: 0, known-replicas: ["127.0.0.1:6380"] }
//! ```
//!
//! Reading ([`parse_yaml`]) goes through the `sentinel.conf` reader: every
//! field is turned into the config line with the same meaning, carrying its
//! YAML line and field path (see `read`), so both formats share every
//! validation rule, and command-line options (`--port 5000`) apply on top
//! exactly as they do for a `sentinel.conf`. Errors name the line and the
//! field: `line 7: masters.mymaster.down-after: invalid duration 'fast'`.
//!
//! Writing ([`to_yaml`]) regenerates the whole file from the model: unlike
//! a `sentinel.conf` rewrite, comments and formatting are not kept.
//!
//! Durations (`down-after`, `failover-timeout`,
//! `master-reboot-down-after-period`, `fence`, `timeout`) are `humantime` strings
//! (`5s`, `500ms`, `1m 30s`); a plain integer is milliseconds.
//!
//! The parser is `serde-saphyr`: maintained, a pure-Rust YAML 1.2 parser,
//! [`serde_saphyr::Spanned`] values that keep their line, and duplicate keys
//! refused. Pure: no file or network I/O here.

mod read;
mod schema;
mod write;

pub use write::YAML_HEADER;

use super::error::ConfigError;
use super::model::Config;

/// Parses a YAML config, then applies `overrides` (command-line options, in
/// `sentinel.conf` syntax: `["port", "5000"]`) as
/// [`super::parse_with_overrides`] does.
pub fn parse_yaml(text: &str, overrides: &[Vec<String>]) -> Result<Config, ConfigError> {
    let doc: schema::Document = if text.trim().is_empty() {
        schema::Document::default()
    } else {
        let mut path = String::new();
        serde_saphyr::with_deserializer_from_str(text, |de| {
            serde_path_to_error::deserialize(de).map_err(|e| {
                path = e.path().to_string();
                e.into_inner()
            })
        })
        .map_err(|e| syntax_error(e, &path))?
    };
    read::lower(&doc)?.into_reader()?.finish(overrides).map_err(|mut e| {
        if e.path.is_some() {
            // The shared message gives the sentinel.conf spelling of the fix.
            e.reason = e.reason.replace(
                "'sentinel resolve-hostnames yes'",
                "'sentinel: {resolve-hostnames: true}'",
            );
        }
        e
    })
}

/// `config` as a YAML file (regenerated whole; see the module doc).
pub fn to_yaml(config: &Config) -> String {
    write::to_yaml(config)
}

/// A YAML syntax or shape error (unknown field, missing field, a list where
/// a value belongs, duplicate key...), with its line and, when serde got
/// that far, the path of the field (`.` for the whole document).
fn syntax_error(e: serde_saphyr::Error, path: &str) -> ConfigError {
    let line = e.location().map_or(1, |l| l.line() as usize);
    let mut reason = e.without_snippet().to_string();
    // The message ends with " at line L, column C"; the line is said already.
    if let Some(at) = reason.rfind(" at line ") {
        reason.truncate(at);
    }
    // The parser's advice is for programmers using it, not for operators.
    if let Some(at) = reason.find(", set DuplicateKeyPolicy") {
        reason.truncate(at);
    }
    // `Spanned` wrappers add a `.value` step; `?` stands for a key serde
    // could not name (a duplicate).
    let path: Vec<&str> =
        path.split('.').filter(|s| !s.is_empty() && *s != "value" && *s != "?").collect();
    ConfigError::yaml(line, path.join("."), reason)
}
