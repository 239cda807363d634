//! A selector: which commands, keys and channels a set of rules allows.
//! Every user has a root selector; `(...)` rules add more, and a command is
//! allowed when any selector allows it.

use std::collections::BTreeMap;

use super::RuleError;
use super::catalogue::{CATALOGUE, CATEGORIES, category_bit, find};
use crate::glob;

/// Read permission of a key pattern (`%R~`).
const READ: u8 = 1;
/// Write permission of a key pattern (`%W~`).
const WRITE: u8 = 2;

/// What one selector allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// One flag per [`CATALOGUE`] entry.
    allowed: Vec<bool>,
    /// Set by `+@all` only: the description starts from `+@all`.
    future_commands: bool,
    /// Every command allowed without looking at `allowed` (`+@all` until a
    /// command is taken away).
    all_commands: bool,
    /// `+cmd|arg` for a command that is otherwise denied: allowed first
    /// arguments, by entry id.
    first_args: BTreeMap<usize, Vec<String>>,
    /// `~*` / `allkeys`.
    all_keys: bool,
    /// Key patterns with their [`READ`]/[`WRITE`] bits.
    keys: Vec<(String, u8)>,
    /// `&*` / `allchannels`.
    all_channels: bool,
    /// Channel patterns.
    channels: Vec<String>,
}

impl Default for Selector {
    /// Nothing allowed (`-@all resetkeys resetchannels`, redis 7.0's
    /// `acl-pubsub-default`).
    fn default() -> Selector {
        Selector {
            allowed: vec![false; CATALOGUE.len()],
            future_commands: false,
            all_commands: false,
            first_args: BTreeMap::new(),
            all_keys: false,
            keys: Vec::new(),
            all_channels: false,
            channels: Vec::new(),
        }
    }
}

fn has_spaces(s: &str) -> bool {
    s.contains([' ', '\0'])
}

impl Selector {
    /// A selector from the text inside `( ... )`.
    pub fn from_opset(inner: &str) -> Result<Selector, RuleError> {
        let mut s = Selector::default();
        let ops = crate::quoting::split_line(inner).map_err(|_| RuleError::Syntax)?;
        for op in ops {
            s.apply(&op)?;
        }
        Ok(s)
    }

    /// Applies one command, key or channel rule. Rules that are not the
    /// selector's are a syntax error.
    pub fn apply(&mut self, op: &str) -> Result<(), RuleError> {
        let lower = op.to_ascii_lowercase();
        match lower.as_str() {
            "allkeys" | "~*" => {
                self.all_keys = true;
                self.keys.clear();
            }
            "resetkeys" => {
                self.all_keys = false;
                self.keys.clear();
            }
            "allchannels" | "&*" => {
                self.all_channels = true;
                self.channels.clear();
            }
            "resetchannels" => {
                self.all_channels = false;
                self.channels.clear();
            }
            "allcommands" | "+@all" => self.set_all(true),
            "nocommands" | "-@all" => self.set_all(false),
            _ if op.starts_with('~') || op.starts_with('%') => self.add_key_pattern(op)?,
            _ if op.starts_with('&') => {
                if self.all_channels {
                    return Err(RuleError::ChannelsAfterAll);
                }
                if has_spaces(&op[1..]) {
                    return Err(RuleError::Syntax);
                }
                if !self.channels.iter().any(|c| *c == op[1..]) {
                    self.channels.push(op[1..].to_string());
                }
            }
            _ if op.starts_with("+@") || op.starts_with("-@") => {
                let bit = category_bit(&op[2..]).ok_or(RuleError::Unknown)?;
                let allow = op.starts_with('+');
                for id in 0..CATALOGUE.len() {
                    if CATALOGUE[id].categories & bit != 0 {
                        self.change(id, allow);
                    }
                }
            }
            _ if op.starts_with('+') => self.allow(&op[1..])?,
            _ if op.starts_with('-') => {
                let id = find(&op[1..]).ok_or(RuleError::Unknown)?;
                self.change(id, false);
            }
            _ => return Err(RuleError::Syntax),
        }
        Ok(())
    }

    fn set_all(&mut self, allow: bool) {
        self.allowed.iter_mut().for_each(|a| *a = allow);
        self.future_commands = allow;
        self.all_commands = allow;
        self.first_args.clear();
    }

    /// Allows or denies one entry, and all its subcommands for a parent.
    fn change(&mut self, id: usize, allow: bool) {
        self.set_bit(id, allow);
        self.first_args.remove(&id);
        for &sub in &CATALOGUE[id].subs {
            self.set_bit(sub, allow);
        }
    }

    fn set_bit(&mut self, id: usize, allow: bool) {
        self.allowed[id] = allow;
        if !allow {
            self.all_commands = false;
        }
    }

    /// `+cmd`, `+cmd|sub`, or `+cmd|first-arg` for a command without
    /// subcommands.
    fn allow(&mut self, name: &str) -> Result<(), RuleError> {
        let Some((cmd, arg)) = name.rsplit_once('|') else {
            let id = find(name).ok_or(RuleError::Unknown)?;
            self.change(id, true);
            return Ok(());
        };
        let parent = find(cmd).ok_or(RuleError::Unknown)?;
        if CATALOGUE[parent].is_sub {
            return Err(RuleError::FirstArgOfSubcommand);
        }
        if arg.is_empty() {
            return Err(RuleError::Syntax);
        }
        if CATALOGUE[parent].subs.is_empty() {
            if self.allowed[parent] {
                // Already allowed with any argument: nothing to add
                // (`-cmd` would clear it anyway).
                return Ok(());
            }
            let args = self.first_args.entry(parent).or_default();
            if !args.iter().any(|a| a.eq_ignore_ascii_case(arg)) {
                args.push(arg.to_string());
            }
        } else {
            let id = find(name).ok_or(RuleError::Unknown)?;
            self.change(id, true);
        }
        Ok(())
    }

    fn add_key_pattern(&mut self, op: &str) -> Result<(), RuleError> {
        if self.all_keys {
            return Err(RuleError::KeysAfterAll);
        }
        let (flags, pattern) = match op.strip_prefix('%') {
            None => (READ | WRITE, &op[1..]),
            Some(rest) => {
                let (perms, pattern) = rest.split_once('~').ok_or(RuleError::Syntax)?;
                let mut flags = 0;
                for c in perms.chars() {
                    let bit = match c.to_ascii_uppercase() {
                        'R' => READ,
                        'W' => WRITE,
                        _ => return Err(RuleError::Syntax),
                    };
                    if flags & bit != 0 {
                        return Err(RuleError::Syntax);
                    }
                    flags |= bit;
                }
                (flags, pattern)
            }
        };
        if has_spaces(pattern) {
            return Err(RuleError::Syntax);
        }
        match self.keys.iter_mut().find(|(p, _)| p == pattern) {
            Some((_, f)) => *f |= flags,
            None => self.keys.push((pattern.to_string(), flags)),
        }
        Ok(())
    }

    /// True when every command and channel is allowed (the default user's
    /// `+@all &*`): nothing to check.
    pub fn unrestricted(&self) -> bool {
        self.all_commands && self.all_channels
    }

    /// True when this selector lets `id` run with `first_arg` (the argument
    /// after the command's name, or after the subcommand's).
    pub fn allows_command(&self, id: usize, first_arg: Option<&[u8]>) -> bool {
        if self.all_commands || self.allowed[id] {
            return true;
        }
        match (self.first_args.get(&id), first_arg) {
            (Some(args), Some(first)) => {
                args.iter().any(|a| a.as_bytes().eq_ignore_ascii_case(first))
            }
            _ => false,
        }
    }

    /// True when `channel` may be used: a channel name is matched against
    /// the patterns, a PSUBSCRIBE pattern only literally.
    pub fn allows_channel(&self, channel: &[u8], is_pattern: bool) -> bool {
        self.all_channels
            || self.channels.iter().any(|p| {
                if is_pattern {
                    p.as_bytes() == channel
                } else {
                    glob::matches(p.as_bytes(), channel, false)
                }
            })
    }

    /// Key patterns as `ACL GETUSER` shows them (`~*` for all keys).
    pub fn keys_text(&self) -> String {
        if self.all_keys {
            return "~*".into();
        }
        self.keys.iter().map(|(p, f)| key_pattern(p, *f)).collect::<Vec<_>>().join(" ")
    }

    /// Channel patterns as `ACL GETUSER` shows them.
    pub fn channels_text(&self) -> String {
        if self.all_channels {
            return "&*".into();
        }
        self.channels.iter().map(|c| format!("&{c}")).collect::<Vec<_>>().join(" ")
    }

    /// The rules that rebuild this selector, in `ACL LIST` form: key
    /// patterns, channels, then command rules.
    pub fn describe(&self) -> String {
        let mut out = Vec::new();
        if self.all_keys {
            out.push("~*".to_string());
        } else {
            out.extend(self.keys.iter().map(|(p, f)| key_pattern(p, *f)));
        }
        if self.all_channels {
            out.push("&*".into());
        } else {
            out.push("resetchannels".into());
            out.extend(self.channels.iter().map(|c| format!("&{c}")));
        }
        out.push(self.command_rules());
        out.join(" ")
    }

    /// The command rules, shortest first: `+@all` or `-@all`, then the
    /// categories that fit best, then single commands and first arguments,
    /// so that applying them to a new selector gives exactly this one.
    pub fn command_rules(&self) -> String {
        let mut rules = Vec::new();
        let mut fake = Selector::default();
        let additive = !self.future_commands;
        let start = if additive { "-@all" } else { "+@all" };
        fake.apply(start).expect("a valid rule");
        rules.push(start.to_string());
        // Each round applies the category that moves the most commands the
        // right way for the fewest moved the wrong way.
        // `left` is the selector with the applied categories undone, so
        // a category is judged on the commands still to explain.
        let mut left = Selector { allowed: self.allowed.clone(), ..Selector::default() };
        let mut applied = [false; CATEGORIES.len()];
        loop {
            let mut best: Option<(usize, usize, usize)> = None;
            for (i, name) in CATEGORIES.iter().enumerate() {
                if applied[i] {
                    continue;
                }
                let bit = category_bit(name).expect("a category");
                let (mut on, mut off) = (0, 0);
                for (id, e) in CATALOGUE.iter().enumerate() {
                    if e.categories & bit != 0 {
                        if left.allowed[id] { on += 1 } else { off += 1 }
                    }
                }
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                let better = match best {
                    None => true,
                    Some((_, d, s)) => diff < d || (diff == d && same > s),
                };
                if same > diff && better {
                    best = Some((i, diff, same));
                }
            }
            let Some((i, _, _)) = best else { break };
            let sign = if additive { "+" } else { "-" };
            let rule = format!("{sign}@{}", CATEGORIES[i]);
            fake.apply(&rule).expect("a valid rule");
            let undo = if additive { "-" } else { "+" };
            left.apply(&format!("{undo}@{}", CATEGORIES[i])).expect("a valid rule");
            rules.push(rule);
            applied[i] = true;
        }
        for (id, e) in CATALOGUE.iter().enumerate() {
            if self.allowed[id] != fake.allowed[id] {
                let sign = if self.allowed[id] { "+" } else { "-" };
                rules.push(format!("{sign}{}", e.fullname));
                fake.change(id, self.allowed[id]);
            }
            if !self.allowed[id] {
                for arg in self.first_args.get(&id).into_iter().flatten() {
                    rules.push(format!("+{}|{arg}", e.fullname));
                }
            }
        }
        debug_assert_eq!(fake.allowed, self.allowed, "the description rebuilds the bits");
        rules.join(" ")
    }
}

fn key_pattern(pattern: &str, flags: u8) -> String {
    match flags {
        READ => format!("%R~{pattern}"),
        WRITE => format!("%W~{pattern}"),
        _ => format!("~{pattern}"),
    }
}
