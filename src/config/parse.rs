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
//! This module does no I/O: script paths are not checked for existence and
//! `dir` is not entered. [`load_conf`] follows `include` lines through a
//! reader the caller gives (the binary's reads files, see
//! [`super::read_include`]); [`parse`] accepts `include` lines without
//! following them.
//!
//! # `include`
//!
//! As in redis, `include PATH` reads PATH at that point of the file, as if
//! its lines were written there: later lines win over it, and its `sentinel`
//! lines join the queue. A relative PATH is relative to the working
//! directory redis would be in at that line: where the process started, or
//! the last `dir` before it (redis enters `dir` as soon as it reads it). A
//! PATH with `*`, `?` or `[` is a glob pattern: its files are read in
//! sorted order, and no match reads nothing (an empty `conf.d/` is fine);
//! any other PATH must be readable. Included files may include others (up
//! to [`MAX_INCLUDE_DEPTH`] deep, where redis would recurse until it
//! crashes). An error in an included file names that file and its line
//! ([`ConfigError::file`]).
//!
//! redis-sentinel's rewrite writes every `sentinel` line into the main file
//! and keeps the `include` line, so an included `sentinel monitor` is read
//! twice at the next start and the sentinel refuses to start ("Duplicate
//! master name."). rsentinel keeps the sentinel's state in the main file
//! without that trap: [`Loaded::text`], the text later rewrites start from,
//! is the main file with every include that holds `sentinel` lines (even
//! nested) turned into a comment followed by the included lines. The first
//! rewrite therefore inlines such a file into the main file; the included
//! file itself is never written. An include with only server directives
//! stays an `include` line, and its file keeps taking effect.

use super::directives::{self, Passive};
use super::error::ConfigError;
use super::model::{Config, LogFormat, LogLevel, LogTimestampFormat, Supervised};
use super::sentinel::Queue;
use crate::quoting::{join_line, split_line};

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

/// How deeply `include`s may nest.
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// A file read for an `include` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file's path, as the error messages name it.
    pub path: String,
    /// The file's text.
    pub text: String,
}

/// Reads the files an `include` line names, given its path already made
/// relative to the right directory (see the module doc): a plain path is
/// one file that must be readable, a glob pattern any number of files in
/// sorted order. The error is the reason to report at the `include` line.
pub type ReadInclude<'a> = dyn FnMut(&str) -> Result<Vec<Source>, String> + 'a;

/// A `sentinel.conf` loaded with its included files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The configuration the whole tree describes.
    pub config: Config,
    /// The main file's text, with includes that hold `sentinel` lines
    /// inlined: what rewrites start from (see the module doc). Equal to the
    /// main file's text when no include holds `sentinel` lines.
    pub text: String,
    /// Every file read for an `include`, in reading order.
    pub included: Vec<Source>,
}

/// Loads a `sentinel.conf` whose text is `text`, following its `include`
/// lines through `read`, then applies `overrides` (which may `include`
/// too) as [`parse_with_overrides`] does.
pub fn load_conf(
    text: &str,
    overrides: &[Vec<String>],
    read: &mut ReadInclude<'_>,
) -> Result<Loaded, ConfigError> {
    let mut walker = Walker { reader: Reader::default(), read, cwd: None, included: Vec::new() };
    let (lines, _) = walker.walk(text, None, 0)?;
    for args in overrides.iter().filter(|a| !a.is_empty()) {
        let at = At { line: None, text: join_line(args), path: None, file: None };
        walker.directive(at, args.clone(), 0)?;
    }
    let Walker { reader, included, .. } = walker;
    let config = reader.finish(&[])?;
    let mut base = lines.join("\n");
    if text.ends_with('\n') && !base.is_empty() {
        base.push('\n');
    }
    let base = if lines_equal(&base, text) { text.to_string() } else { base };
    Ok(Loaded { config, text: base, included })
}

/// True when `a` and `b` have the same lines (line endings aside).
fn lines_equal(a: &str, b: &str) -> bool {
    a.lines().eq(b.lines())
}

/// Reads a file tree line by line: the state of [`load_conf`].
struct Walker<'r, 'a> {
    reader: Reader,
    read: &'r mut ReadInclude<'a>,
    /// The directory redis would be in at this line (`dir` lines so far,
    /// joined); `None` = where the process started.
    cwd: Option<String>,
    included: Vec<Source>,
}

impl Walker<'_, '_> {
    /// Reads `text` (the file `file`, `None` for the main one). Returns the
    /// lines a rewrite starts from, and whether they hold a `sentinel` line.
    fn walk(
        &mut self,
        text: &str,
        file: Option<&str>,
        depth: usize,
    ) -> Result<(Vec<String>, bool), ConfigError> {
        let mut lines = Vec::new();
        let mut has_sentinel = false;
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            let mut at = At::line(index + 1, line);
            at.file = file.map(str::to_string);
            let args = split_line(line).map_err(|e| at.error(e.to_string()))?;
            let name = args.first().map(|a| a.to_ascii_lowercase());
            match name.as_deref() {
                Some("include") if args.len() == 2 => {
                    let (inlined, sentinel) = self.include(&at, &args[1], depth)?;
                    if sentinel {
                        has_sentinel = true;
                        lines.push(format!(
                            "# {line}  (inlined below by rsentinel, which keeps sentinel state in this file)"
                        ));
                        lines.extend(inlined);
                    } else {
                        lines.push(raw.to_string());
                    }
                }
                Some(_) => {
                    has_sentinel |= name.as_deref() == Some("sentinel") && args.len() > 1;
                    self.directive(at, args, depth)?;
                    lines.push(raw.to_string());
                }
                None => lines.push(raw.to_string()),
            }
        }
        Ok((lines, has_sentinel))
    }

    /// Applies one directive; `include` is followed, `dir` moves the
    /// directory relative includes start from.
    fn directive(&mut self, at: At, args: Vec<String>, depth: usize) -> Result<(), ConfigError> {
        let name = args[0].to_ascii_lowercase();
        if name == "include" && args.len() == 2 {
            return self.include(&at, &args[1], depth).map(|_| ());
        }
        let dir = (name == "dir" && args.len() == 2).then(|| args[1].clone());
        self.reader.directive(at, args)?;
        if let Some(dir) = dir {
            self.cwd = Some(join_path(self.cwd.as_deref(), &dir));
        }
        Ok(())
    }

    /// Reads the files of `include path` at `at`; returns their lines for a
    /// rewrite and whether they hold a `sentinel` line.
    fn include(
        &mut self,
        at: &At,
        path: &str,
        depth: usize,
    ) -> Result<(Vec<String>, bool), ConfigError> {
        if depth >= MAX_INCLUDE_DEPTH {
            return Err(at.error(format!(
                "include nested more than {MAX_INCLUDE_DEPTH} deep (does a file include itself?)"
            )));
        }
        let sources =
            (self.read)(&join_path(self.cwd.as_deref(), path)).map_err(|e| at.error(e))?;
        let mut lines = Vec::new();
        let mut has_sentinel = false;
        for source in sources {
            let (inner, sentinel) = self.walk(&source.text, Some(&source.path), depth + 1)?;
            lines.extend(inner);
            has_sentinel |= sentinel;
            self.included.push(source);
        }
        Ok((lines, has_sentinel))
    }
}

/// `path` seen from directory `cwd` (`None` = the starting directory).
fn join_path(cwd: Option<&str>, path: &str) -> String {
    match cwd {
        Some(dir) if !path.starts_with('/') => format!("{}/{path}", dir.trim_end_matches('/')),
        _ => path.to_string(),
    }
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
    /// The included file the line is in; `None` for the main file.
    pub(crate) file: Option<String>,
}

impl At {
    /// A line of a `sentinel.conf`.
    pub(crate) fn line(line: usize, text: &str) -> At {
        At { line: Some(line), text: text.to_string(), path: None, file: None }
    }

    /// The error for this directive, because of `reason`.
    pub(crate) fn error(&self, reason: impl Into<String>) -> ConfigError {
        let mut e = ConfigError::new(self.line, self.text.clone(), reason);
        e.path = self.path.clone();
        e.file = self.file.clone();
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
            let at = At { line: None, text: join_line(args), path: None, file: None };
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
        ("supervised", [v]) => server.supervised = parse_enum(v, Supervised::parse, Supervised::names)?,
        ("log-format", [v]) => server.log_format = parse_enum(v, LogFormat::parse, LogFormat::names)?,
        ("log-timestamp-format", [v]) => {
            server.log_timestamp_format =
                parse_enum(v, LogTimestampFormat::parse, LogTimestampFormat::names)?
        }
        ("pidfile", [file]) => server.pidfile = non_empty(file),
        ("metrics-listen", [addr]) => server.metrics_listen = parse_listen(addr)?,
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
        ("unixsocket", [path]) => server.unixsocket = non_empty(path),
        ("unixsocketperm", [perm]) => {
            server.unixsocketperm = match u32::from_str_radix(perm, 8) {
                Ok(0) => None,
                Ok(p @ 0..=0o777) if perm.bytes().all(|b| b.is_ascii_digit()) => Some(p),
                _ => return Err(format!("argument must be an octal number between 0 and 777, got '{perm}'")),
            }
        }
        // Followed by `load_conf`; accepted and not followed by `parse`.
        ("include", [_]) => {}
        ("rename-command", [command, new_name]) => {
            crate::commands::rename(&mut server.rename_commands, command, new_name)?
        }
        (name, values) if directives::is_tls(name) => {
            super::tls::check(name, values)?;
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

/// One of an enum's names, or redis's error listing them.
fn parse_enum<T>(
    value: &str,
    parse: fn(&str) -> Option<T>,
    names: fn() -> String,
) -> Result<T, String> {
    parse(value).ok_or_else(|| format!("argument(s) must be one of the following: {}", names()))
}

/// `Some(s)` unless `s` is empty: an empty string unsets an option.
pub(crate) fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// `metrics-listen`'s `host:port` (IPv6 in brackets: `[::1]:9355`): kept
/// as written, the shell binds it; empty = no listener. Only the form is
/// checked here (a host name is resolved when the listener is bound).
pub(crate) fn parse_listen(s: &str) -> Result<Option<String>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    let bad = || format!("expected host:port (IPv6 as [addr]:port), got '{s}'");
    let (host, port) = s.rsplit_once(':').ok_or_else(bad)?;
    let bracketed = host.starts_with('[') && host.ends_with(']');
    let inner = if bracketed { &host[1..host.len() - 1] } else { host };
    if inner.is_empty() || inner.contains(['[', ']']) || (host.contains(':') && !bracketed) {
        return Err(bad());
    }
    match parse_port(port)? {
        0 => Err(format!("Invalid port number '0' in '{s}': the metrics listener needs a port")),
        _ => Ok(Some(s.to_string())),
    }
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
             rename-command SENTINEL \"\"\ntls-port 6380\ntls-replication yes\n",
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
        assert_eq!(s.rename_commands.get("sentinel").map(String::as_str), Some(""));
        assert_eq!(s.tls.get("tls-port"), Some(&vec!["6380".to_string()]));
        assert_eq!(s.tls.len(), 2);
    }

    #[test]
    fn process_and_log_directives() {
        let c = parse("supervised SYSTEMD\nlog-format json\nlog-timestamp-format Iso8601\n")
            .expect("valid");
        assert_eq!(c.server.supervised, Supervised::Systemd);
        assert_eq!(c.server.log_format, LogFormat::Json);
        assert_eq!(c.server.log_timestamp_format, LogTimestampFormat::Iso8601);
        let defaults = parse("").expect("valid");
        assert_eq!(defaults.server.supervised, Supervised::No);
        assert_eq!(defaults.server.log_format, LogFormat::Legacy);
        assert_eq!(defaults.server.log_timestamp_format, LogTimestampFormat::Legacy);
        for (line, names) in [
            ("supervised sometimes", "no, upstart, systemd, auto"),
            ("log-format xml", "legacy, logfmt, json"),
            ("log-timestamp-format unix", "legacy, iso8601, milliseconds"),
        ] {
            assert_eq!(reason(line), format!("argument(s) must be one of the following: {names}"));
        }
        assert_eq!(reason("supervised"), BAD_DIRECTIVE);
    }

    #[test]
    fn metrics_listen_takes_host_port_and_refuses_the_rest() {
        assert_eq!(parse("").unwrap().server.metrics_listen, None);
        for ok in ["127.0.0.1:9355", "[::]:9355", "pod-0.sentinel:9355", "0.0.0.0:1"] {
            let c = parse(&format!("metrics-listen {ok}\n")).unwrap();
            assert_eq!(c.server.metrics_listen.as_deref(), Some(ok));
        }
        assert_eq!(parse("metrics-listen \"\"\n").unwrap().server.metrics_listen, None);
        for bad in ["9355", ":9355", "::1:9355", "host:port", "host:0", "host:70000", "[]:1"] {
            let e = parse(&format!("metrics-listen {bad}\n")).unwrap_err().to_string();
            assert!(e.contains(bad) || e.contains("port"), "{bad}: {e}");
        }
    }

    #[test]
    fn last_port_wins_and_overrides_win_last() {
        let c = parse("unixsocket /tmp/s.sock\nunixsocketperm 770\n").expect("valid");
        assert_eq!(c.server.unixsocket.as_deref(), Some("/tmp/s.sock"));
        assert_eq!(c.server.unixsocketperm, Some(0o770));
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
        assert_eq!(reason("rename-command config x"), "No such command in rename-command");
        assert!(reason("unixsocketperm 800").starts_with("argument must be an octal number"));
        assert!(reason("unixsocketperm -1").starts_with("argument must be an octal number"));
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

    /// A reader over in-memory files; records the paths asked for.
    fn files<'a>(
        files: &'a [(&'a str, &'a str)],
        asked: &'a mut Vec<String>,
    ) -> impl FnMut(&str) -> Result<Vec<Source>, String> + 'a {
        move |path: &str| {
            asked.push(path.to_string());
            let found: Vec<Source> = files
                .iter()
                .filter(|(p, _)| {
                    *p == path || (path.ends_with('*') && p.starts_with(&path[..path.len() - 1]))
                })
                .map(|(p, t)| Source { path: p.to_string(), text: t.to_string() })
                .collect();
            if found.is_empty() && !path.ends_with('*') {
                return Err(format!(
                    "Fatal error, can't open config file '{path}': No such file or directory"
                ));
            }
            Ok(found)
        }
    }

    fn load(text: &str, tree: &[(&str, &str)]) -> (Result<Loaded, ConfigError>, Vec<String>) {
        let mut asked = Vec::new();
        let result = load_conf(text, &[], &mut files(tree, &mut asked));
        (result, asked)
    }

    #[test]
    fn include_reads_the_file_at_its_place() {
        let main = "port 1\ninclude a.conf\nloglevel debug\n";
        let (loaded, asked) = load(main, &[("a.conf", "port 2\nloglevel warning\n")]);
        let loaded = loaded.expect("loads");
        assert_eq!(asked, ["a.conf"]);
        assert_eq!(
            (loaded.config.server.port, loaded.config.server.loglevel),
            (2, LogLevel::Debug)
        );
        // Server directives only: the include stays, the text is the file's.
        assert_eq!(loaded.text, main);
        assert_eq!(
            loaded.included,
            [Source { path: "a.conf".into(), text: "port 2\nloglevel warning\n".into() }]
        );
    }

    #[test]
    fn includes_with_sentinel_lines_are_inlined_for_the_rewrite() {
        let main = "port 1\ninclude conf.d/*\n# end\n";
        let tree = [
            ("conf.d/1.conf", "sentinel monitor m 127.0.0.1 6379 2\ninclude extra.conf\n"),
            ("conf.d/2.conf", "sentinel down-after-milliseconds m 5000\n"),
            ("extra.conf", "maxclients 7\n"),
        ];
        let loaded = load(main, &tree).0.expect("loads");
        assert_eq!(loaded.config.masters[0].down_after_ms, 5000);
        assert_eq!(loaded.config.server.maxclients, 7);
        assert_eq!(
            loaded.text,
            "port 1\n# include conf.d/*  (inlined below by rsentinel, which keeps sentinel state in this file)\n\
             sentinel monitor m 127.0.0.1 6379 2\ninclude extra.conf\n\
             sentinel down-after-milliseconds m 5000\n# end\n"
        );
        // The inlined text describes the same config, with `extra.conf` still included.
        let again = load(&loaded.text, &tree).0.expect("reloads");
        assert_eq!(again.config, loaded.config);
        // And a rewrite of it reloads to the same config: nothing is defined twice.
        let rewritten = crate::config::rewrite(&loaded.text, &loaded.config);
        assert_eq!(load(&rewritten, &tree).0.map(|l| l.config), Ok(loaded.config));
        // No match is no file.
        assert_eq!(load("include none/*\n", &tree).0.map(|l| l.config), Ok(Config::default()));
    }

    #[test]
    fn errors_in_included_files_name_the_file_and_line() {
        let tree = [("a.conf", "port 2\nport x\n"), ("b.conf", "sentinel monitor m h 1 0\n")];
        let e = load("include a.conf\n", &tree).0.expect_err("bad port");
        assert_eq!(
            (e.file.as_deref(), e.line, e.text.as_str()),
            (Some("a.conf"), Some(2), "port x")
        );
        assert!(
            e.render("main.conf").contains("Reading the configuration file a.conf, at line 2\n")
        );
        assert!(e.to_string().starts_with("a.conf line 2: Invalid port number"), "{e}");
        // A queued `sentinel` line too.
        let e = load("\ninclude b.conf\n", &tree).0.expect_err("bad quorum");
        assert_eq!((e.file.as_deref(), e.line), (Some("b.conf"), Some(1)));
        // A missing file is reported at the include line.
        let e = load("port 1\ninclude nope.conf\n", &tree).0.expect_err("missing");
        assert_eq!((e.file, e.line), (None, Some(2)));
        assert_eq!(
            e.reason,
            "Fatal error, can't open config file 'nope.conf': No such file or directory"
        );
        assert_eq!(reason("include a b"), BAD_DIRECTIVE);
    }

    #[test]
    fn relative_includes_follow_dir_lines_and_cycles_stop() {
        let tree = [("/etc/s/a.conf", ""), ("/etc/s/sub/b.conf", "")];
        let (loaded, asked) = load(
            "include x.conf\ndir /etc/s\ninclude a.conf\ndir sub\ninclude b.conf\ninclude /abs.conf\n",
            &[("x.conf", ""), tree[0], tree[1], ("/abs.conf", "")],
        );
        assert!(loaded.is_ok());
        assert_eq!(asked, ["x.conf", "/etc/s/a.conf", "/etc/s/sub/b.conf", "/abs.conf"]);
        let e = load("include self.conf\n", &[("self.conf", "include self.conf\n")])
            .0
            .expect_err("loop");
        assert!(e.reason.starts_with("include nested more than 16 deep"), "{}", e.reason);
        // Command-line options may include too.
        let mut asked = Vec::new();
        let over = [vec!["include".to_string(), "x.conf".into()]];
        let c = load_conf("", &over, &mut files(&[("x.conf", "port 9\n")], &mut asked));
        assert_eq!(c.map(|l| l.config.server.port), Ok(9));
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
