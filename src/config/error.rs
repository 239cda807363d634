//! The error of a config that cannot be loaded, and its redis-style rendering.

use std::fmt;

/// A config line that cannot be accepted: where it is, what it says, and why
/// it is wrong.
///
/// Lines of the file are numbered from 1. Options given on the command line
/// (`--port 5000`) have no line number: [`ConfigError::line`] is `None` and
/// [`ConfigError::text`] is the option written as a config line
/// (`port 5000`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("{}: {reason} (>>> '{text}')", Where(*line))]
pub struct ConfigError {
    /// 1-based line number in the file; `None` for a command-line option.
    pub line: Option<usize>,
    /// The offending line, trimmed (for options: the option as a config line).
    pub text: String,
    /// Why the line was rejected, in redis-sentinel's words where it has some.
    pub reason: String,
}

impl ConfigError {
    /// An error for `text`, at `line` (`None` = command line), because of `reason`.
    pub fn new(line: Option<usize>, text: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError { line, text: text.into(), reason: reason.into() }
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
    /// The result ends with a newline.
    pub fn render(&self, file: &str) -> String {
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
    fn command_line_errors_say_so() {
        let e = ConfigError::new(None, "port x", "bad");
        assert!(e.render("s.conf").contains("command line options"));
        assert!(e.to_string().starts_with("command line: bad"));
    }
}
