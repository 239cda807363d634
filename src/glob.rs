//! Redis-style glob matching (`*`, `?`, `[a-z]`, `[^x]`, `\` escapes), used by
//! PSUBSCRIBE, SENTINEL RESET and SENTINEL CONFIG GET.

/// True when `text` matches `pattern`. `nocase` compares ASCII case-insensitively.
pub fn matches(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    // Iterative matcher with single-star backtracking: linear memory, and
    // no recursion a hostile pattern could exploit.
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    let eq = |a: u8, b: u8| if nocase { a.eq_ignore_ascii_case(&b) } else { a == b };
    while t < text.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    while p < pattern.len() && pattern[p] == b'*' {
                        p += 1;
                    }
                    if p == pattern.len() {
                        return true;
                    }
                    star = Some((p, t));
                    continue;
                }
                b'?' => {
                    p += 1;
                    t += 1;
                    continue;
                }
                b'[' => {
                    if let Some((ok, next)) = class(pattern, p, text[t], nocase) {
                        if ok {
                            p = next;
                            t += 1;
                            continue;
                        }
                    } else if eq(b'[', text[t]) {
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pattern.len() => {
                    if eq(pattern[p + 1], text[t]) {
                        p += 2;
                        t += 1;
                        continue;
                    }
                }
                c => {
                    if eq(c, text[t]) {
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, st)) => {
                p = sp;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Matches `c` against the class starting at `pattern[at] == '['`.
/// Returns (matched, index after the class), or None if the class is unclosed.
fn class(pattern: &[u8], at: usize, c: u8, nocase: bool) -> Option<(bool, usize)> {
    let mut i = at + 1;
    let negate = pattern.get(i) == Some(&b'^');
    if negate {
        i += 1;
    }
    let norm = |b: u8| if nocase { b.to_ascii_lowercase() } else { b };
    let c = norm(c);
    let mut hit = false;
    loop {
        let b = *pattern.get(i)?;
        if b == b']' {
            return Some((hit != negate, i + 1));
        }
        if b == b'\\' {
            let e = *pattern.get(i + 1)?;
            hit |= norm(e) == c;
            i += 2;
        } else if pattern.get(i + 1) == Some(&b'-')
            && pattern.get(i + 2).is_some_and(|&e| e != b']')
        {
            let (mut lo, mut hi) = (norm(b), norm(pattern[i + 2]));
            if lo > hi {
                std::mem::swap(&mut lo, &mut hi);
            }
            hit |= lo <= c && c <= hi;
            i += 3;
        } else {
            hit |= norm(b) == c;
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn table() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "", true),
            ("*", "+sdown", true),
            ("+*", "+sdown", true),
            ("+*", "-sdown", false),
            ("[-+]sdown", "-sdown", true),
            ("[-+]sdown", "xsdown", false),
            ("h?llo", "hello", true),
            ("h[^e]llo", "hello", false),
            ("h[a-z]llo", "hxllo", true),
            ("my*", "mymaster", true),
            ("*master", "mymaster", true),
            ("*a*b", "xaxxb", true),
            ("*a*b", "xaxxc", false),
            ("\\*", "*", true),
            ("\\*", "a", false),
            ("[abc", "[abc", true),
        ];
        for &(p, t, want) in cases {
            assert_eq!(matches(p.as_bytes(), t.as_bytes(), false), want, "{p} ~ {t}");
        }
        assert!(matches(b"MY*", b"mymaster", true));
        assert!(!matches(b"MY*", b"mymaster", false));
    }

    #[test]
    fn hostile_patterns_are_fast() {
        let p = "*a".repeat(200) + "b";
        let t = "a".repeat(5000);
        assert!(!matches(p.as_bytes(), t.as_bytes(), false));
    }
}
