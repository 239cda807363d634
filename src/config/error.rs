//! The error of a config that cannot be loaded, and its redis-style rendering.

use std::fmt;

/// A config line that cannot be accepted: where it is, what it says, and why
/// it is wrong.
///
/// Lines of the file are numbered from 1. Options given on the command line
/// (`--port 5000`) have no line number: [`ConfigError::line`] is `None` and
/// [`ConfigError::text`] is the option written as a config line
/// (`port 5000`).
///
/// An error in a YAML file also has the [`path`](ConfigError::path) of the
/// field (`masters.mymaster.down-after`); its `text` is then the equivalent
/// `sentinel.conf` line, and it renders as `file: line N: path: reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("{}{}: {}{reason}{}", FilePrefix(file.as_deref()), Where(*line), PathPrefix(path.as_deref()), TextSuffix(path.is_none(), text))]
pub struct ConfigError {
    /// 1-based line number in the file; `None` for a command-line option.
    pub line: Option<usize>,
    /// The offending line, trimmed (for options: the option as a config line).
    pub text: String,
    /// Why the line was rejected, in redis-sentinel's words where it has some.
    pub reason: String,
    /// The field path in a YAML file (`masters.mymaster.quorum`; empty when
    /// the YAML itself is malformed); `None` for `sentinel.conf` lines and
    /// command-line options.
    pub path: Option<String>,
    /// The included file (`include` directive) the line is in; `None` for
    /// the main file and the command line.
    pub file: Option<String>,
}

impl ConfigError {
    /// An error for `text`, at `line` (`None` = command line), because of `reason`.
    pub fn new(line: Option<usize>, text: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError { line, text: text.into(), reason: reason.into(), path: None, file: None }
    }

    /// An error in a YAML file, at `line`, for the field at `path`.
    pub fn yaml(line: usize, path: impl Into<String>, reason: impl Into<String>) -> Self {
        let path = path.into();
        ConfigError {
            line: Some(line),
            text: path.clone(),
            reason: reason.into(),
            path: Some(path),
            file: None,
        }
    }

    /// Renders the error as redis-sentinel prints it on standard error, with
    /// the name of the file added:
    ///
    /// ```text
    ///
    /// *** FATAL CONFIG FILE ERROR (rsentinel 0.1.0) ***
    /// Reading the configuration file sentinel.conf, at line 2
    /// >>> 'sentinel monitor m 127.0.0.1 notaport 2'
    /// Invalid port number 'notaport': must be an integer between 0 and 65535
    /// ```
    ///
    /// An error in an included file names that file instead of `file`.
    /// The result ends with a newline. A YAML error is one line instead:
    ///
    /// ```text
    /// sentinel.yaml: line 7: masters.mymaster.down-after: invalid duration 'fast'
    /// ```
    pub fn render(&self, file: &str) -> String {
        let file = self.file.as_deref().unwrap_or(file);
        if let (Some(path), Some(line)) = (&self.path, self.line) {
            return format!("{file}: line {line}: {}{}\n", PathPrefix(Some(path)), self.reason);
        }
        let place = match self.line {
            Some(n) => format!("Reading the configuration file {file}, at line {n}"),
            None => format!(
                "Reading the command line options (applied after the configuration file {file})"
            ),
        };
        format!(
            "\n*** FATAL CONFIG FILE ERROR (rsentinel {}) ***\n{place}\n>>> '{}'\n{}\n",
            env!("CARGO_PKG_VERSION"),
            self.text,
            self.reason
        )
    }
}

/// Formats a line number, or says "command line".
struct Where(Option<usize>);

impl fmt::Display for Where {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(n) => write!(f, "line {n}"),
            None => f.write_str("command line"),
        }
    }
}

/// Formats `FILE `, or nothing for the main file.
struct FilePrefix<'a>(Option<&'a str>);

impl fmt::Display for FilePrefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(file) => write!(f, "{file} "),
            None => Ok(()),
        }
    }
}

/// Formats `path: `, or nothing when there is no (or an empty) path.
struct PathPrefix<'a>(Option<&'a str>);

impl fmt::Display for PathPrefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(path) if !path.is_empty() => write!(f, "{path}: "),
            _ => Ok(()),
        }
    }
}

/// Formats ` (>>> 'text')` for `sentinel.conf` errors, nothing for YAML ones.
struct TextSuffix<'a>(bool, &'a str);

impl fmt::Display for TextSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 { write!(f, " (>>> '{}')", self.1) } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_redis() {
        let e = ConfigError::new(Some(2), "port x", "Invalid port number");
        assert_eq!(
            e.render("sentinel.conf"),
            format!(
                "\n*** FATAL CONFIG FILE ERROR (rsentinel {}) ***\n\
                 Reading the configuration file sentinel.conf, at line 2\n\
                 >>> 'port x'\nInvalid port number\n",
                env!("CARGO_PKG_VERSION")
            )
        );
        assert_eq!(e.to_string(), "line 2: Invalid port number (>>> 'port x')");
    }

    #[test]
    fn yaml_errors_are_one_line_with_the_path() {
        let e = ConfigError::yaml(7, "masters.mymaster.down-after", "invalid duration 'fast'");
        assert_eq!(
            e.render("sentinel.yaml"),
            "sentinel.yaml: line 7: masters.mymaster.down-after: invalid duration 'fast'\n"
        );
        assert_eq!(e.to_string(), "line 7: masters.mymaster.down-after: invalid duration 'fast'");
        assert_eq!(ConfigError::yaml(2, "", "bad").render("s.yaml"), "s.yaml: line 2: bad\n");
    }

    #[test]
    fn command_line_errors_say_so() {
        let e = ConfigError::new(None, "port x", "bad");
        assert!(e.render("s.conf").contains("command line options"));
        assert!(e.to_string().starts_with("command line: bad"));
    }
}
