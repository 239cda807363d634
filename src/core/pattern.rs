//! Glob patterns for SENTINEL RESET and SENTINEL CONFIG GET: the crate's
//! pure matcher ([`crate::glob`]), shared with PSUBSCRIBE.

/// True when `text` matches the redis-style glob `pattern`.
pub(crate) fn glob_match(pattern: &str, text: &str, nocase: bool) -> bool {
    crate::glob::matches(pattern.as_bytes(), text.as_bytes(), nocase)
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        for (pattern, text, nocase, want) in [
            ("*", "mymaster", false, true),
            ("my*", "mymaster", false, true),
            ("MY*", "mymaster", false, false),
            ("MY*", "mymaster", true, true),
            ("m?master", "mymaster", false, true),
            ("m[xy]master", "mymaster", false, true),
            ("m[^y]master", "mymaster", false, false),
            ("m[a-z]master", "mymaster", false, true),
            ("announce-*", "announce-ip", true, true),
            ("*port", "announce-port", true, true),
            ("a\\*", "a*", false, true),
            ("a\\*", "ab", false, false),
            ("", "", false, true),
            ("", "x", false, false),
            ("*a*b*c*", "xaxbxc", false, true),
        ] {
            assert_eq!(glob_match(pattern, text, nocase), want, "{pattern} vs {text}");
        }
    }
}
