//! `sentinel.conf` text → [`Config`].
//!
//! The file is read line by line ([`split_line`]). Server directives are
//! applied at once, in file order (the last `port` wins). `sentinel` lines
//! are only queued while reading, as redis-sentinel does, and applied after
//! the whole file and the command-line options, in three passes (see
//! [`super::sentinel`]): that is why `down-after-milliseconds` may come
//! before its `monitor` line. So a bad server directive is reported before a
//! bad `sentinel` line, whatever their order in the file.
//!
//! Where redis-sentinel silently accepts nonsense (`atoi("notaport")` = 0)
//! this parser refuses it, keeping redis-sentinel's error text as the start
//! of the message and saying what was wrong.
//!
//! This module does no I/O: script paths are not checked for existence,
//! `include` is accepted but not followed, `dir` is not entered.

use super::directives::{self, Passive};
use super::error::ConfigError;
use super::lexer::{join_line, split_line};
use super::model::{Config, LogLevel};
use super::sentinel::Queue;

/// The reason given for an unknown directive, or a known one with the wrong
/// number of arguments.
pub(crate) const BAD_DIRECTIVE: &str = "Bad directive or wrong number of arguments";

/// Parses a whole config file.
pub fn parse(text: &str) -> Result<Config, ConfigError> {
    parse_with_overrides(text, &[])
}

/// Parses a config file, then applies `overrides` as extra config lines.
///
/// Each override is one directive with its arguments, as given on the
/// command line: `--port 5000` is `["port", "5000"]`, `--sentinel monitor m
/// 127.0.0.1 6379 2` is `["sentinel", "monitor", "m", ...]`. They are applied
/// after the file (so they win), and their `sentinel` lines join the same
/// queue as the file's. An error in an override has no line number
/// ([`ConfigError::line`] is `None`); its text is the override as a config
/// line. Empty overrides are ignored.
pub fn parse_with_overrides(text: &str, overrides: &[Vec<String>]) -> Result<Config, ConfigError> {
    let mut reader = Reader::default();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let args =
            split_line(line).map_err(|e| ConfigError::new(Some(index + 1), line, e.to_string()))?;
        if !args.is_empty() {
            reader.directive(At::line(index + 1, line), args)?;
        }
    }
    reader.finish(overrides)
}

/// Where a directive came from, for its error message.
#[derive(Debug, Clone)]
pub(crate) struct At {
    /// 1-based line number; `None` for a command-line option.
    pub(crate) line: Option<usize>,
    /// The directive as a config line.
    pub(crate) text: String,
    /// The field path, for a directive read from YAML.
    pub(crate) path: Option<String>,
}

impl At {
    /// A line of a `sentinel.conf`.
    pub(crate) fn line(line: usize, text: &str) -> At {
        At { line: Some(line), text: text.to_string(), path: None }
    }

    /// The error for this directive, because of `reason`.
    pub(crate) fn error(&self, reason: impl Into<String>) -> ConfigError {
        let mut e = ConfigError::new(self.line, self.text.clone(), reason);
        e.path = self.path.clone();
        e
    }
}

/// Reads directives one by one, from any source (`sentinel.conf` lines,
/// fields of a YAML file, command-line options), into a [`Config`]: server
/// directives apply at once, `sentinel` ones are queued until [`finish`].
///
/// [`finish`]: Reader::finish
#[derive(Debug, Default)]
pub(crate) struct Reader {
    config: Config,
    queue: Queue,
}

impl Reader {
    /// Applies one server directive, or queues a `sentinel` line. `args`
    /// is not empty.
    pub(crate) fn directive(&mut self, at: At, mut args: Vec<String>) -> Result<(), ConfigError> {
        let name = args[0].to_ascii_lowercase();
        if name == "sentinel" {
            args.remove(0);
            // A bare `sentinel` line is ignored, as in redis-sentinel.
            if !args.is_empty() {
                self.queue.push(at, args);
            }
            return Ok(());
        }
        server_directive(&mut self.config, &name, &args[1..]).map_err(|reason| at.error(reason))
    }

    /// Applies the command-line `overrides`, then the queued `sentinel`
    /// lines.
    pub(crate) fn finish(mut self, overrides: &[Vec<String>]) -> Result<Config, ConfigError> {
        for args in overrides.iter().filter(|a| !a.is_empty()) {
            let at = At { line: None, text: join_line(args), path: None };
            self.directive(at, args.clone())?;
        }
        self.queue.apply(&mut self.config)?;
        Ok(self.config)
    }
}

/// Applies a plain (non-`sentinel`) directive; `name` is lowercase.
pub(crate) fn server_directive(
    config: &mut Config,
    name: &str,
    args: &[String],
) -> Result<(), String> {
    let server = &mut config.server;
    match (name, args) {
        ("port", [port]) => server.port = parse_port(port)?,
        ("bind", addrs) if !addrs.is_empty() => server.bind = addrs.to_vec(),
        ("dir", [dir]) => server.dir = Some(dir.clone()),
        ("logfile", [file]) => server.logfile = file.clone(),
        ("loglevel", [level]) => {
            server.loglevel = LogLevel::parse(level).ok_or_else(|| {
                "argument(s) must be one of the following: debug, verbose, notice, warning, nothing"
                    .to_string()
            })?
        }
        ("daemonize", [v]) => server.daemonize = parse_yes_no(v)?,
        ("pidfile", [file]) => server.pidfile = non_empty(file),
        ("protected-mode", [v]) => server.protected_mode = parse_yes_no(v)?,
        ("requirepass", [pass]) => server.requirepass = non_empty(pass),
        ("maxclients", [n]) => {
            server.maxclients = match parse_u64(n) {
                Some(n @ 1..=0xffff_ffff) => n as usize,
                _ => return Err(format!("argument must be between 1 and 4294967295 inclusive, got '{n}'")),
            }
        }
        ("timeout", [secs]) => {
            server.timeout_secs = parse_u64(secs).ok_or_else(|| {
                format!("argument couldn't be parsed into an integer: '{secs}' (timeout is in seconds, 0 = never)")
            })?
        }
        ("user", rules) if !rules.is_empty() => {
            crate::acl::check_user_line(&server.users, rules)?;
            server.users.push(rules.to_vec())
        }
        // Users in a second file that rsentinel would not read could leave
        // it open: refuse rather than ignore.
        ("aclfile", [_]) => {
            return Err("aclfile is not supported by rsentinel: declare the users with 'user' \
                        lines in this file (ACL SETUSER changes are saved there too)"
                .into());
        }
        ("acllog-max-len", [n]) => {
            server.acllog_max_len = parse_u64(n).ok_or_else(|| {
                format!("argument couldn't be parsed into an integer: '{n}'")
            })? as usize
        }
        ("rename-command", [command, new_name]) => {
            server.rename_commands.insert(command.to_ascii_lowercase(), new_name.clone());
        }
        (name, values) if directives::is_tls(name) => {
            if values.is_empty() {
                return Err("wrong number of arguments".into());
            }
            if name == "tls-port" {
                parse_port(&values[0])?;
            }
            server.tls.insert(name.to_string(), values.to_vec());
        }
        (name, values) => match directives::passive(name) {
            Some(_) if values.is_empty() => return Err("wrong number of arguments".into()),
            Some(Passive::Boolean) => match values {
                [v] => {
                    parse_yes_no(v)?;
                }
                _ => return Err("wrong number of arguments".into()),
            },
            Some(Passive::Any) => {}
            None => return Err(BAD_DIRECTIVE.into()),
        },
    }
    Ok(())
}

/// `Some(s)` unless `s` is empty: an empty string unsets an option.
pub(crate) fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// A TCP port, 0 to 65535.
pub(crate) fn parse_port(s: &str) -> Result<u16, String> {
    parse_u64(s)
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| format!("Invalid port number '{s}': must be an integer between 0 and 65535"))
}

/// `yes` or `no`, case-insensitively.
pub(crate) fn parse_yes_no(s: &str) -> Result<bool, String> {
    yes_no(s).ok_or_else(|| "argument must be 'yes' or 'no'".to_string())
}

/// `yes` → true, `no` → false, case-insensitively.
pub(crate) fn yes_no(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("yes") {
        Some(true)
    } else if s.eq_ignore_ascii_case("no") {
        Some(false)
    } else {
        None
    }
}

/// A non-negative decimal integer: digits only (no sign, no spaces), at
/// most `u64::MAX`.
pub(crate) fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(text: &str) -> String {
        match parse(text) {
            Ok(c) => panic!("{text:?} parsed: {c:?}"),
            Err(e) => e.reason,
        }
    }

    #[test]
    fn server_directives() {
        let c = parse(
            "PORT 5000\nbind 127.0.0.1 ::1\ndir /tmp\nlogfile \"\"\nloglevel WARNING\n\
             daemonize yes\npidfile /run/s.pid\nprotected-mode YES\nrequirepass \"a b\"\n\
             maxclients 10\ntimeout 5\nuser default on nopass ~* +@all\n\
             rename-command CONFIG \"\"\ntls-port 6380\ntls-replication yes\n",
        )
        .expect("valid");
        let s = &c.server;
        assert_eq!(s.port, 5000);
        assert_eq!(s.bind, ["127.0.0.1", "::1"]);
        assert_eq!(s.dir.as_deref(), Some("/tmp"));
        assert_eq!(s.logfile, "");
        assert_eq!(s.loglevel, LogLevel::Warning);
        assert!(s.daemonize && s.protected_mode);
        assert_eq!(s.pidfile.as_deref(), Some("/run/s.pid"));
        assert_eq!(s.requirepass.as_deref(), Some("a b"));
        assert_eq!((s.maxclients, s.timeout_secs), (10, 5));
        assert_eq!(s.users, [["default", "on", "nopass", "~*", "+@all"]]);
        assert_eq!(s.rename_commands.get("config").map(String::as_str), Some(""));
        assert_eq!(s.tls.get("tls-port"), Some(&vec!["6380".to_string()]));
        assert_eq!(s.tls.len(), 2);
    }

    #[test]
    fn last_port_wins_and_overrides_win_last() {
        let c = parse_with_overrides("port 1\nport 2\n", &[vec!["port".into(), "3".into()]]);
        assert_eq!(c.map(|c| c.server.port), Ok(3));
        assert_eq!(parse("port 1\nport 2").map(|c| c.server.port), Ok(2));
    }

    #[test]
    fn passive_directives_are_accepted() {
        let text = "save \"\"\nappendonly no\nenable-debug-command yes\nhz 10\n\
                    latency-tracking-info-percentiles 50 99 99.9\nmymod.opt 1\nsentinel\n";
        assert_eq!(parse(text), Ok(Config::default()));
    }

    #[test]
    fn server_errors() {
        assert_eq!(reason("nosuch 1"), BAD_DIRECTIVE);
        assert_eq!(reason("rename-command a"), BAD_DIRECTIVE);
        assert_eq!(reason("port"), BAD_DIRECTIVE);
        assert_eq!(reason("save"), "wrong number of arguments");
        assert_eq!(reason("appendonly maybe"), "argument must be 'yes' or 'no'");
        assert_eq!(reason("appendonly yes no"), "wrong number of arguments");
        assert_eq!(reason("daemonize 1"), "argument must be 'yes' or 'no'");
        assert!(reason("port 65536").starts_with("Invalid port number '65536'"));
        assert!(reason("port -1").starts_with("Invalid port number '-1'"));
        assert!(reason("tls-port x").starts_with("Invalid port number 'x'"));
        assert!(reason("maxclients 0").starts_with("argument must be between 1"));
        assert!(reason("timeout x").starts_with("argument couldn't be parsed into an integer"));
        assert!(reason("loglevel loud").starts_with("argument(s) must be one of"));
        assert!(reason("aclfile /etc/users.acl").starts_with("aclfile is not supported"));
        assert_eq!(
            reason("user a on +@nosuch"),
            "Error in user declaration '+@nosuch': Unknown command or category name in ACL"
        );
        assert!(reason("user a on\nuser a off").contains("Duplicate user found"));
        assert!(reason("user a on (+ping").starts_with("Unmatched parenthesis"));
        assert!(reason("acllog-max-len x").starts_with("argument couldn't be parsed"));
    }

    #[test]
    fn error_positions() {
        let e = parse("# c\n\n  nosuch  x  \n").expect_err("bad");
        assert_eq!((e.line, e.text.as_str()), (Some(3), "nosuch  x"));
        let e = parse_with_overrides("", &[vec!["port".into(), "x y".into()]]).expect_err("bad");
        assert_eq!((e.line, e.text.as_str()), (None, "port \"x y\""));
        let e = parse("port 1\nx \"a").expect_err("bad");
        assert_eq!(
            (e.line, e.reason.as_str()),
            (Some(2), "Unbalanced quotes in configuration line")
        );
    }

    #[test]
    fn numbers_are_strict() {
        assert_eq!(parse_u64("0"), Some(0));
        assert_eq!(parse_u64("18446744073709551615"), Some(u64::MAX));
        for bad in ["", "-1", "+1", " 1", "1x", "18446744073709551616", "0x10"] {
            assert_eq!(parse_u64(bad), None, "{bad:?}");
        }
    }
}
