//! The one glob syntax of parity, used by `like` in rules, by
//! `[[exception]]` fields and by env namespace globs in parity.toml: `*`,
//! `?`, `[abc]`, `[a-z]`, `[!abc]`. A glob becomes an anchored regex, so
//! matching is linear in the text.

/// A glob as an anchored regex. `*` matches any run of characters and `?`
/// any one character, line breaks included; `[abc]` is one of the
/// characters listed, `[a-z]` one in a range, `[!abc]` (or `[^abc]`) one
/// not listed; a `]` right after `[` or `[!` is listed, not the end. A `[`
/// with no closing `]` is a literal `[`, and `[[]`, `[*]`, `[?]` match the
/// character inside. Everything else matches itself.
pub fn to_regex(glob: &str) -> String {
    let chars: Vec<char> = glob.chars().collect();
    let mut re = String::from("(?s)^");
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            '[' => {
                // Find the class's end: the first `]` after its first member.
                let mut j = i + 1;
                let negated = matches!(chars.get(j), Some('!' | '^'));
                if negated {
                    j += 1;
                }
                let first = j;
                if chars.get(j) == Some(&']') {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    re.push_str(&regex::escape("["));
                } else {
                    re.push('[');
                    if negated {
                        re.push('^');
                    }
                    for (k, &c) in chars[first..j].iter().enumerate() {
                        let inner = k > 0 && first + k + 1 < j;
                        if c == '-' && inner {
                            re.push('-');
                        } else {
                            re.push_str(&regex::escape(&c.to_string()));
                        }
                    }
                    re.push(']');
                    i = j;
                }
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    re.push('$');
    re
}

/// A compiled glob.
#[derive(Debug, Clone)]
pub struct Glob(regex::Regex);

impl Glob {
    /// Compiles a glob; only a pattern past the regex size limit fails.
    pub fn new(glob: &str) -> Result<Glob, regex::Error> {
        regex::Regex::new(&to_regex(glob)).map(Glob)
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_marks_and_classes() {
        let m = |g: &str, t: &str| Glob::new(g).unwrap().is_match(t);
        assert!(m("staging-*", "staging-web"));
        assert!(m("*-w?b", "staging-web"));
        assert!(!m("staging-*", "prod-web"));
        assert!(m("*", ""));
        assert!(m("team-[ab]", "team-a") && !m("team-[ab]", "team-c"));
        assert!(m("team-[!ab]", "team-c") && !m("team-[!ab]", "team-a"));
        assert!(m("v[0-9]", "v7"));
        assert!(m("a.b", "a.b") && !m("a.b", "axb"));
        assert!(m("[", "[") && m("[*]", "*") && !m("[*]", "x"));
    }
}
