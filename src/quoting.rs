//! Redis's argument splitter: a line into arguments, and arguments quoted
//! back.
//!
//! A leaf used by the config (lines of `sentinel.conf`), the RESP decoder
//! (inline commands) and the ACL rules (`(~key +get)` selectors), which all
//! follow the same rules: redis.conf's, also redis-cli's and the inline
//! protocol's. arguments are separated by ASCII whitespace;
//! a double-quoted argument understands the escapes `\n \r \t \b \a \\ \"`
//! and `\xHH` (any other `\c` stands for `c`); a single-quoted argument only
//! understands `\'`. A quote may also open in the middle of a word
//! (`ab"c d"` is the single argument `abc d`), but a closing quote must be
//! followed by whitespace or the end of the line.
//!
//! Arguments are `String`s: the config file is UTF-8 text. A `\xHH` escape
//! produces one raw byte; if the bytes of an argument are not valid UTF-8
//! (say `"\xff"`), the argument is converted lossily and each invalid
//! sequence becomes U+FFFD. [`quote`] never produces such escapes for text
//! it did not get from them, so [`split_line`] ∘ [`quote`] is the identity
//! on every `String`.

/// Why a line could not be split into arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LexError {
    /// A quoted argument is not closed before the end of the line.
    #[error("Unbalanced quotes in configuration line")]
    Unbalanced,
    /// A closing quote is directly followed by another character.
    #[error(
        "Unbalanced quotes in configuration line \
         (a closing quote must be followed by a space or the end of the line)"
    )]
    CharAfterClosingQuote,
}

/// Splits one config line into its arguments.
///
/// Returns `Ok(vec![])` for a blank line and for a comment (a line whose
/// first non-blank character is `#`), so callers can skip both at once.
pub fn split_line(line: &str) -> Result<Vec<String>, LexError> {
    let line = line.trim();
    if line.starts_with('#') {
        return Ok(Vec::new());
    }
    let args = split_bytes(line.as_bytes())?;
    Ok(args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect())
}

/// Splits bytes into arguments with the same rules, binary-safe and
/// without comment handling, for the inline protocol ([`crate::resp`]).
pub fn split_bytes(bytes: &[u8]) -> Result<Vec<Vec<u8>>, LexError> {
    let mut args = Vec::new();
    let mut pos = 0;
    loop {
        while pos < bytes.len() && is_space(bytes[pos]) {
            pos += 1;
        }
        if pos == bytes.len() {
            return Ok(args);
        }
        let (arg, next) = split_arg(bytes, pos)?;
        args.push(arg);
        pos = next;
    }
}

/// The quoting state while reading one argument.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Bare,
    Double,
    Single,
}

/// Reads one argument starting at `pos` (not a space); returns its bytes and
/// the position after it.
fn split_arg(bytes: &[u8], mut pos: usize) -> Result<(Vec<u8>, usize), LexError> {
    let mut arg = Vec::new();
    let mut mode = Mode::Bare;
    loop {
        let Some(&c) = bytes.get(pos) else {
            return match mode {
                Mode::Bare => Ok((arg, pos)),
                Mode::Double | Mode::Single => Err(LexError::Unbalanced),
            };
        };
        match mode {
            Mode::Bare => match c {
                c if is_space(c) => return Ok((arg, pos)),
                b'"' => mode = Mode::Double,
                b'\'' => mode = Mode::Single,
                c => arg.push(c),
            },
            Mode::Double => match c {
                b'\\' => {
                    let (byte, len) = double_quote_escape(&bytes[pos + 1..]);
                    arg.push(byte);
                    pos += len;
                }
                b'"' => {
                    check_after_close(bytes, pos + 1)?;
                    return Ok((arg, pos + 1));
                }
                c => arg.push(c),
            },
            Mode::Single => match c {
                b'\\' if bytes.get(pos + 1) == Some(&b'\'') => {
                    arg.push(b'\'');
                    pos += 1;
                }
                b'\'' => {
                    check_after_close(bytes, pos + 1)?;
                    return Ok((arg, pos + 1));
                }
                c => arg.push(c),
            },
        }
        pos += 1;
    }
}

/// Decodes the escape after a backslash inside double quotes: the byte it
/// stands for and how many bytes after the backslash it used. A backslash at
/// the very end stands for itself (the missing closing quote is then
/// reported by the caller).
fn double_quote_escape(rest: &[u8]) -> (u8, usize) {
    match rest {
        [b'x', h, l, ..] if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
            (hex_value(*h) * 16 + hex_value(*l), 3)
        }
        [b'n', ..] => (b'\n', 1),
        [b'r', ..] => (b'\r', 1),
        [b't', ..] => (b'\t', 1),
        [b'b', ..] => (0x08, 1),
        [b'a', ..] => (0x07, 1),
        [c, ..] => (*c, 1),
        [] => (b'\\', 0),
    }
}

fn check_after_close(bytes: &[u8], pos: usize) -> Result<(), LexError> {
    match bytes.get(pos) {
        Some(&c) if !is_space(c) => Err(LexError::CharAfterClosingQuote),
        _ => Ok(()),
    }
}

fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// C's `isspace` in the "C" locale, which is what redis splits on.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Characters that may appear in a bare (unquoted) argument.
fn is_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.:/@+=,*~&%^!?[]{}()<>|;$".contains(c)
}

/// Quotes an argument so that [`split_line`] reads it back unchanged.
///
/// Non-empty arguments made only of "safe" ASCII characters (letters, digits
/// and common punctuation, but no quotes, backslashes, `#` or whitespace)
/// are returned bare; anything else is double-quoted, with `\\`, `\"`,
/// `\n`, `\r`, `\t`, `\b`, `\a` and `\xHH` for other control characters.
/// Printable non-ASCII characters are kept as they are (UTF-8).
pub fn quote(arg: &str) -> String {
    if !arg.is_empty() && arg.chars().all(is_safe) {
        return arg.to_string();
    }
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('"');
    for c in arg.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{7}' => out.push_str("\\a"),
            c if c.is_control() && c.is_ascii() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// [`quote`] for bytes: what is valid UTF-8 is quoted as [`quote`] does,
/// and every byte that is not is written `\xNN`, so [`split_bytes`] reads
/// back exactly `arg` (passwords are bytes, as in Redis).
pub fn quote_bytes(arg: &[u8]) -> String {
    if let Ok(text) = std::str::from_utf8(arg) {
        return quote(text);
    }
    let mut out = String::from("\"");
    for chunk in arg.utf8_chunks() {
        let valid = quote(chunk.valid());
        // `quote` of a non-empty chunk may be bare or quoted: keep its inside.
        let inner = valid.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(&valid);
        out.push_str(inner);
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push('"');
    out
}

/// Quotes every argument and joins them with single spaces: the line that
/// [`split_line`] reads back as `args`.
pub fn join_line<S: AsRef<str>>(args: &[S]) -> String {
    args.iter().map(|a| quote(a.as_ref())).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Vec<String> {
        split_line(line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
    }

    #[test]
    fn splits_like_redis() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("   \t ", &[]),
            ("# comment \"unbalanced", &[]),
            ("   # indented comment", &[]),
            ("port 5000", &["port", "5000"]),
            ("  port\t5000  ", &["port", "5000"]),
            ("a#b c", &["a#b", "c"]),
            (r#"x "a b""#, &["x", "a b"]),
            (r#"x """#, &["x", ""]),
            (r#"x "" y"#, &["x", "", "y"]),
            (r#"x "\n\r\t\b\a\\\"""#, &["x", "\n\r\t\u{8}\u{7}\\\""]),
            (r#"x "\x41\x6a""#, &["x", "Aj"]),
            (r#"x "\x4""#, &["x", "x4"]),
            (r#"x "\xZZ""#, &["x", "xZZ"]),
            (r#"x "\q""#, &["x", "q"]),
            (r#"x "\xc3\xa9""#, &["x", "é"]),
            (r#"x "\xff""#, &["x", "\u{fffd}"]),
            (r"x 'a b'", &["x", "a b"]),
            (r"x 'it\'s'", &["x", "it's"]),
            (r"x 'a\nb'", &["x", "a\\nb"]),
            (r#"x 'say "hi"'"#, &["x", "say \"hi\""]),
            (r#"ab"c d" e"#, &["abc d", "e"]),
            ("x ''", &["x", ""]),
            ("é ü", &["é", "ü"]),
        ];
        for (line, want) in cases {
            assert_eq!(
                ok(line),
                want.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "{line:?}"
            );
        }
    }

    #[test]
    fn rejects_bad_quotes() {
        let cases: &[(&str, LexError)] = &[
            (r#"x "abc"#, LexError::Unbalanced),
            (r"x 'abc", LexError::Unbalanced),
            (r#"x "abc\""#, LexError::Unbalanced),
            (r#"x "abc\"#, LexError::Unbalanced),
            (r"x 'abc\'", LexError::Unbalanced),
            (r#"x "a"b"#, LexError::CharAfterClosingQuote),
            (r"x 'a'b", LexError::CharAfterClosingQuote),
            (r#"x """"#, LexError::CharAfterClosingQuote),
        ];
        for (line, want) in cases {
            assert_eq!(split_line(line), Err(*want), "{line:?}");
        }
    }

    #[test]
    fn error_texts_keep_the_redis_prefix() {
        for e in [LexError::Unbalanced, LexError::CharAfterClosingQuote] {
            assert!(e.to_string().starts_with("Unbalanced quotes in configuration line"));
        }
    }

    #[test]
    fn quote_is_bare_only_when_safe() {
        assert_eq!(quote("mymaster"), "mymaster");
        assert_eq!(quote("127.0.0.1"), "127.0.0.1");
        assert_eq!(quote("::1"), "::1");
        assert_eq!(quote("/var/run/x.sh"), "/var/run/x.sh");
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("a b"), "\"a b\"");
        assert_eq!(quote("p a\"ss"), r#""p a\"ss""#);
        assert_eq!(quote("#x"), "\"#x\"");
        assert_eq!(quote("\u{1}"), r#""\x01""#);
    }

    #[test]
    fn quote_round_trips_nasty_strings() {
        let nasty = [
            "",
            " ",
            "a b",
            "p a\"ss",
            "'",
            "\"",
            "\\",
            "\\x41",
            "\\\"",
            "it's",
            "#not a comment",
            "tab\there",
            "nl\nand\rcr",
            "\u{7}\u{8}\u{0}\u{1b}\u{7f}",
            "é ü 漢字 🙂",
            "\u{a0}nbsp",
            "trailing\\",
            "''\"\"",
        ];
        for s in nasty {
            let line = join_line(&["cmd", s, s]);
            assert_eq!(ok(&line), vec!["cmd".to_string(), s.to_string(), s.to_string()], "{line}");
        }
    }

    #[test]
    fn random_lines_never_panic_and_requote_exactly() {
        // Lines drawn from the characters that matter to the lexer.
        let alphabet: Vec<char> = "ab \t\"'\\xn0f#é\u{1}".chars().collect();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            let mut line = String::new();
            for _ in 0..(state % 12) {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                line.push(alphabet[(state >> 33) as usize % alphabet.len()]);
            }
            if let Ok(args) = split_line(&line)
                && !args.is_empty()
            {
                assert_eq!(ok(&join_line(&args)), args, "{line:?}");
            }
        }
    }

    #[test]
    fn quote_bytes_round_trips_any_bytes() {
        assert_eq!(quote_bytes(b"plain"), "plain");
        assert_eq!(quote_bytes(b"p\xff\xfe w\xc3"), r#""p\xff\xfe w\xc3""#);
        assert_eq!(quote_bytes(b"\"\xff\n"), r#""\"\xff\n""#);
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            let mut arg = Vec::new();
            for _ in 0..(state % 9) {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                arg.push(
                    [b'a', b' ', b'"', b'\\', 0xc3, 0xa9, 0xff, 0x80, b'\n']
                        [(state >> 33) as usize % 9],
                );
            }
            let line = format!("cmd {}", quote_bytes(&arg));
            assert_eq!(split_bytes(line.as_bytes()).unwrap(), vec![b"cmd".to_vec(), arg], "{line}");
        }
    }
}
