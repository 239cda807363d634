//! Glob patterns as redis matches them (`stringmatchlen`): `*`, `?`,
//! `[abc]`, `[^a-z]`, and `\` to escape. Used by `SENTINEL RESET`
//! (case-sensitive) and `SENTINEL CONFIG GET` (case-insensitive).

/// Whether `text` matches `pattern`.
pub(crate) fn glob_match(pattern: &str, text: &str, nocase: bool) -> bool {
    matches(pattern.as_bytes(), text.as_bytes(), nocase, 0)
}

fn eq(a: u8, b: u8, nocase: bool) -> bool {
    if nocase { a.eq_ignore_ascii_case(&b) } else { a == b }
}

fn matches(p: &[u8], t: &[u8], nocase: bool, depth: usize) -> bool {
    // Deep nesting of `*` is bounded, as redis bounds it, so that a hostile
    // pattern cannot exhaust the stack.
    if depth > 1000 {
        return false;
    }
    let (mut p, mut t) = (p, t);
    while let Some(&c) = p.first() {
        match c {
            b'*' => {
                while p.first() == Some(&b'*') {
                    p = &p[1..];
                }
                if p.is_empty() {
                    return true;
                }
                return (0..=t.len()).any(|i| matches(p, &t[i..], nocase, depth + 1));
            }
            b'?' => {
                if t.is_empty() {
                    return false;
                }
                t = &t[1..];
                p = &p[1..];
            }
            b'[' => {
                let Some(&ch) = t.first() else { return false };
                let (hit, rest) = class(&p[1..], ch, nocase);
                if !hit {
                    return false;
                }
                p = rest;
                t = &t[1..];
            }
            _ => {
                let (lit, rest) =
                    if c == b'\\' && p.len() >= 2 { (p[1], &p[2..]) } else { (c, &p[1..]) };
                if t.first().is_none_or(|&ch| !eq(lit, ch, nocase)) {
                    return false;
                }
                p = rest;
                t = &t[1..];
            }
        }
    }
    t.is_empty()
}

/// Matches `ch` against a `[...]` class whose body starts at `p`; returns
/// the verdict and the pattern after the closing `]`.
fn class(mut p: &[u8], ch: u8, nocase: bool) -> (bool, &[u8]) {
    let negate = p.first() == Some(&b'^');
    if negate {
        p = &p[1..];
    }
    let mut hit = false;
    loop {
        match p {
            [] => break,
            [b']', rest @ ..] => {
                p = rest;
                break;
            }
            [b'\\', c, rest @ ..] => {
                hit |= eq(*c, ch, nocase);
                p = rest;
            }
            [a, b'-', b, rest @ ..] if *b != b']' => {
                let (mut lo, mut hi) = (*a, *b);
                if lo > hi {
                    std::mem::swap(&mut lo, &mut hi);
                }
                let c = if nocase { ch.to_ascii_lowercase() } else { ch };
                let (lo, hi) = if nocase {
                    (lo.to_ascii_lowercase(), hi.to_ascii_lowercase())
                } else {
                    (lo, hi)
                };
                hit |= c >= lo && c <= hi;
                p = rest;
            }
            [c, rest @ ..] => {
                hit |= eq(*c, ch, nocase);
                p = rest;
            }
        }
    }
    (hit != negate, p)
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
            ("*a*b*c*", "xaxbxc", false, true),
        ] {
            assert_eq!(glob_match(pattern, text, nocase), want, "{pattern} vs {text}");
        }
    }
}
