//! ACL users as redis-sentinel 7.0 has them: `user` lines in sentinel.conf,
//! `requirepass` as the default user's password, `ACL SETUSER` rules.
//!
//! Pure: the core owns the [`Acl`] (changes are persisted by its config
//! rewrite) and publishes it in its view; the server checks every
//! connection's commands against it. Written from redis's documented rule
//! language and its observable replies; the command rules of a description
//! list single commands in our table's order where redis lists them in its
//! hash table's order (both rebuild the same permissions).
//!
//! Differences with redis 7.0, all on the side of fewer surprises: an
//! unknown command name in a `user` line is a load error naming the line
//! (redis defers it and exits later with "Critical error while loading
//! ACLs"); `ACL SETUSER` and `ACL DELUSER` are persisted at once (redis
//! writes users at its next config rewrite).

mod catalogue;
mod selector;

use std::collections::BTreeMap;
use std::fmt;

use sha2::{Digest, Sha256};

pub use catalogue::{CATALOGUE, CATEGORIES, Entry, category_bit, find};
pub use selector::Selector;

/// Why a rule was refused; [`fmt::Display`] gives redis's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleError {
    /// Not a rule, or a pattern with spaces.
    Syntax,
    /// `+x` / `-x` / `+@x` with an unknown command or category.
    Unknown,
    /// A key pattern after `~*`.
    KeysAfterAll,
    /// A channel pattern after `&*`.
    ChannelsAfterAll,
    /// `<pass` or `!hash` for a password the user does not have.
    NoSuchPassword,
    /// `#hash` that is not 64 lowercase hex digits.
    BadHash,
    /// `+cmd|sub|arg`.
    FirstArgOfSubcommand,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RuleError::Syntax => "Syntax error",
            RuleError::Unknown => "Unknown command or category name in ACL",
            RuleError::KeysAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and \
                 does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelsAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and \
                 does not have any effect. Try 'resetchannels' to start with an empty list of channels"
            }
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase \
                 hexadecimal characters"
            }
            RuleError::FirstArgOfSubcommand => "Allowing first-arg of a subcommand is not supported",
        })
    }
}

/// The payload-sanitizing flag (kept and described; a sentinel has no
/// payloads to sanitize).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Payload {
    Unset,
    Skip,
    Sanitized,
}

/// One user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    name: String,
    enabled: bool,
    nopass: bool,
    sanitize: Payload,
    /// SHA-256 of each password, lowercase hex.
    passwords: Vec<String>,
    root: Selector,
    selectors: Vec<Selector>,
}

/// SHA-256 of a password, as ACL LIST shows it.
pub fn hash_password(pass: &[u8]) -> String {
    Sha256::digest(pass).iter().map(|b| format!("{b:02x}")).collect()
}

fn valid_hash(h: &str) -> bool {
    h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Compares without leaking where the first difference is.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Why a command is refused ([`User::check`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The command is not allowed.
    Command,
    /// The channel at this argument index is not allowed.
    Channel(usize),
}

impl User {
    /// A new user: off, no password, nothing allowed.
    pub fn new(name: &str) -> User {
        User {
            name: name.to_string(),
            enabled: false,
            nopass: false,
            sanitize: Payload::Unset,
            passwords: Vec::new(),
            root: Selector::default(),
            selectors: Vec::new(),
        }
    }

    /// The default user: on, no password, everything allowed.
    pub fn default_user() -> User {
        let mut u = User::new("default");
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            u.apply(op).expect("valid rules");
        }
        u
    }

    /// The user's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True when the user may authenticate.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// True when any password authenticates the user.
    pub fn nopass(&self) -> bool {
        self.nopass
    }

    /// The password hashes.
    pub fn passwords(&self) -> &[String] {
        &self.passwords
    }

    /// The root selector.
    pub fn root(&self) -> &Selector {
        &self.root
    }

    /// The selectors added with `(...)`.
    pub fn selectors(&self) -> &[Selector] {
        &self.selectors
    }

    /// Applies one rule (`ACL SETUSER` modifier). An empty rule does nothing.
    pub fn apply(&mut self, op: &str) -> Result<(), RuleError> {
        if op.is_empty() {
            return Ok(());
        }
        match op.to_ascii_lowercase().as_str() {
            "on" => self.enabled = true,
            "off" => self.enabled = false,
            "skip-sanitize-payload" => self.sanitize = Payload::Skip,
            "sanitize-payload" => self.sanitize = Payload::Sanitized,
            "nopass" => {
                self.nopass = true;
                self.passwords.clear();
            }
            "resetpass" => {
                self.nopass = false;
                self.passwords.clear();
            }
            "clearselectors" => self.selectors.clear(),
            "reset" => {
                let name = std::mem::take(&mut self.name);
                *self = User { sanitize: Payload::Sanitized, ..User::new(&name) };
            }
            _ => self.apply_other(op)?,
        }
        Ok(())
    }

    fn apply_other(&mut self, op: &str) -> Result<(), RuleError> {
        // A rule starting with a multi-byte character is no rule (splitting
        // at byte 1 would panic: found by fuzzing, `ACL SETUSER u é`).
        let Some((first, rest)) = op.split_at_checked(1) else {
            return Err(RuleError::Syntax);
        };
        match first {
            ">" | "#" => {
                let hash =
                    if first == ">" { hash_password(rest.as_bytes()) } else { rest.to_string() };
                if !valid_hash(&hash) {
                    return Err(RuleError::BadHash);
                }
                if !self.passwords.contains(&hash) {
                    self.passwords.push(hash);
                }
                self.nopass = false;
            }
            "<" | "!" => {
                let hash =
                    if first == "<" { hash_password(rest.as_bytes()) } else { rest.to_string() };
                if !valid_hash(&hash) {
                    return Err(RuleError::BadHash);
                }
                let at = self.passwords.iter().position(|p| *p == hash);
                self.passwords.remove(at.ok_or(RuleError::NoSuchPassword)?);
            }
            "(" if op.ends_with(')') && op.len() >= 2 => {
                self.selectors.push(Selector::from_opset(&op[1..op.len() - 1])?);
            }
            _ => self.root.apply(op)?,
        }
        Ok(())
    }

    /// The flags, in redis's order (`on`/`off`, `nopass`, sanitizing).
    pub fn flags(&self) -> Vec<&'static str> {
        let mut flags = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            flags.push("nopass");
        }
        match self.sanitize {
            Payload::Skip => flags.push("skip-sanitize-payload"),
            Payload::Sanitized => flags.push("sanitize-payload"),
            Payload::Unset => {}
        }
        flags
    }

    /// The rules that rebuild the user, as `ACL LIST` shows them after
    /// `user <name> `.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.flags().iter().map(|f| f.to_string()).collect();
        parts.extend(self.passwords.iter().map(|p| format!("#{p}")));
        parts.push(self.root.describe());
        parts.extend(self.selectors.iter().map(|s| format!("({})", s.describe())));
        parts.join(" ")
    }

    /// True when the root selector allows everything.
    pub fn unrestricted(&self) -> bool {
        self.root.unrestricted()
    }

    /// True when `pass` authenticates this user.
    pub fn password_ok(&self, pass: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let hash = hash_password(pass);
        self.passwords.iter().any(|p| constant_time_eq(p.as_bytes(), hash.as_bytes()))
    }

    /// Whether some selector lets the user use `channel` (a PSUBSCRIBE
    /// pattern when `is_pattern`): a subscription the user may keep.
    pub fn allows_channel(&self, channel: &[u8], is_pattern: bool) -> bool {
        std::iter::once(&self.root)
            .chain(&self.selectors)
            .any(|s| s.allows_channel(channel, is_pattern))
    }

    /// Whether the user may run the command `id` with `first_arg`, naming
    /// the channels at `channels` (argument index, channel, is a pattern).
    /// Allowed when one selector allows the command and all its channels;
    /// otherwise the denial redis reports (a channel over the command).
    pub fn check(
        &self,
        id: usize,
        first_arg: Option<&[u8]>,
        channels: &[(usize, &[u8], bool)],
    ) -> Result<(), Denied> {
        let mut worst = Denied::Command;
        for s in std::iter::once(&self.root).chain(&self.selectors) {
            if !s.allows_command(id, first_arg) {
                continue;
            }
            match channels.iter().rev().find(|(_, c, p)| !s.allows_channel(c, *p)) {
                None => return Ok(()),
                Some((i, _, _)) => {
                    if !matches!(worst, Denied::Channel(j) if j >= *i) {
                        worst = Denied::Channel(*i);
                    }
                }
            }
        }
        Err(worst)
    }
}

/// All users, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    users: BTreeMap<String, User>,
}

impl Default for Acl {
    fn default() -> Acl {
        Acl::new(None)
    }
}

/// Checks one `user` line of a config (`[name, rules...]`) given the lines
/// before it; the error is redis's.
pub fn check_user_line(before: &[Vec<String>], line: &[String]) -> Result<(), String> {
    if before.iter().any(|b| b.first() == line.first()) {
        let name = line.first().map_or("", String::as_str);
        return Err(format!(
            "Error in user declaration '{name}': Duplicate user found. A user can only be \
             defined once in config files"
        ));
    }
    Acl::load(None, &[line.to_vec()]).map(|_| ()).map_err(|(_, e)| e)
}

/// Joins a `(` ... `)` selector given over several arguments into one.
fn merge_selectors(ops: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (i, op) in ops.iter().enumerate() {
        match &mut open {
            Some((_, sel)) => {
                sel.push(' ');
                sel.push_str(op);
                if op.ends_with(')') {
                    out.push(open.take().expect("open").1);
                }
            }
            None if op.starts_with('(') && !op.ends_with(')') => open = Some((i, op.clone())),
            None => out.push(op.clone()),
        }
    }
    match open {
        Some((i, _)) => {
            Err(format!("Unmatched parenthesis in acl selector starting at '{}'.", ops[i]))
        }
        None => Ok(out),
    }
}

impl Acl {
    /// Only the default user, with `requirepass` as its password.
    pub fn new(requirepass: Option<&str>) -> Acl {
        let mut default = User::default_user();
        if let Some(pass) = requirepass {
            default.apply("resetpass").expect("valid rule");
            default.apply(&format!(">{pass}")).expect("valid rule");
        }
        Acl { users: BTreeMap::from([("default".to_string(), default)]) }
    }

    /// The users of a config: `requirepass` first, then each `user` line
    /// (`[name, rules...]`; a line for `default` resets it first). On error:
    /// the index of the line and redis's message.
    pub fn load(requirepass: Option<&str>, lines: &[Vec<String>]) -> Result<Acl, (usize, String)> {
        let mut acl = Acl::new(requirepass);
        let mut seen: Vec<&str> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let Some((name, rules)) = line.split_first() else {
                return Err((i, "wrong number of arguments".into()));
            };
            if seen.contains(&name.as_str()) {
                return Err((
                    i,
                    format!(
                        "Error in user declaration '{name}': Duplicate user found. A user can \
                         only be defined once in config files"
                    ),
                ));
            }
            seen.push(name);
            if name.contains([' ', '\0']) {
                return Err((i, "Spaces not allowed in ACL usernames".into()));
            }
            let rules = merge_selectors(rules).map_err(|e| (i, e))?;
            let mut user = User::new(name);
            if name == "default" {
                // redis resets the existing default user, which flags it
                // `sanitize-payload`.
                user.apply("reset").expect("valid rule");
            }
            for op in &rules {
                user.apply(op)
                    .map_err(|e| (i, format!("Error in user declaration '{op}': {e}")))?;
            }
            acl.users.insert(name.clone(), user);
        }
        Ok(acl)
    }

    /// `ACL SETUSER name rules...`: all rules or none; the error is redis's.
    pub fn set_user(&mut self, name: &str, rules: &[String]) -> Result<(), String> {
        if name.contains([' ', '\0']) {
            return Err("ERR Usernames can't contain spaces or null characters".into());
        }
        let rules = merge_selectors(rules).map_err(|e| format!("ERR {e}"))?;
        let mut user = self.users.get(name).cloned().unwrap_or_else(|| User::new(name));
        for op in &rules {
            user.apply(op).map_err(|e| format!("ERR Error in ACL SETUSER modifier '{op}': {e}"))?;
        }
        self.users.insert(name.to_string(), user);
        Ok(())
    }

    /// `ACL DELUSER names...`: how many existed; `default` cannot go.
    pub fn del_users(&mut self, names: &[String]) -> Result<usize, String> {
        if names.iter().any(|n| n == "default") {
            return Err("ERR The 'default' user cannot be removed".into());
        }
        Ok(names.iter().filter(|n| self.users.remove(n.as_str()).is_some()).count())
    }

    /// The user called `name`.
    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.get(name)
    }

    /// Every user, by name.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    /// True when new connections need no AUTH: the default user is on and
    /// has no password.
    pub fn open(&self) -> bool {
        self.users.get("default").is_some_and(|d| d.enabled && d.nopass)
    }

    /// True when `user`/`pass` authenticate.
    pub fn authenticate(&self, user: &[u8], pass: &[u8]) -> bool {
        let name = String::from_utf8_lossy(user);
        self.users.get(name.as_ref()).is_some_and(|u| u.password_ok(pass))
    }

    /// The `user` lines that rebuild every user, as redis rewrites them:
    /// `[name, rules...]`, sorted by name.
    pub fn config_lines(&self) -> Vec<Vec<String>> {
        self.users
            .values()
            .map(|u| {
                let mut line = vec![u.name.clone()];
                line.extend(u.describe().split(' ').map(str::to_string));
                line
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
