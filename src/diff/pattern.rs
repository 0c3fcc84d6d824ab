//! What a tolerance matches: a field path pattern (`spec.replicas`,
//! `podspec.containers[*].image`, `metadata.labels.*`, `**.nodePort`) and
//! an optional value pattern (`by ":[^:/]+$"`: the values may differ only in
//! what this regex matches, `{env}` standing for each side's env name).

use super::Seg;

/// One step of a path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatSeg {
    /// A map key, exactly.
    Key(String),
    /// `*`: any one map key.
    AnyKey,
    /// `**`: any number of steps, none included.
    Deep,
    /// `[*]`: any element of a list.
    AnyItem,
    /// `[N]`: the element at index N of a list that is not keyed.
    Index(usize),
    /// `[web]` or `[name=web]`: the element of a keyed list with that key.
    Item(String),
    /// `podspec` (first step only): the pod spec, wherever the kind keeps it.
    PodSpec,
}

/// A path pattern. It matches a difference at its path or anywhere under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pub segs: Vec<PatSeg>,
    pub text: String,
}

/// Longest pattern accepted, in bytes.
const MAX_PATTERN: usize = 4096;

impl Pattern {
    /// Parses `a.b."c.d"[*][name=web].*`, `**.x`, `podspec.containers[*]`.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        if text.len() > MAX_PATTERN {
            return Err(format!("a tolerance path is at most {MAX_PATTERN} bytes"));
        }
        let b = text.as_bytes();
        let mut segs = Vec::new();
        let mut i = 0;
        let mut expect_key = true;
        while i < b.len() {
            match b[i] {
                b'[' => {
                    let end = text[i..].find(']').ok_or_else(|| format!("`[` without `]` in `{text}`"))? + i;
                    let inner = text[i + 1..end].trim();
                    segs.push(match inner {
                        "*" => PatSeg::AnyItem,
                        s if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) => {
                            PatSeg::Index(s.parse().map_err(|_| format!("index too large in `{text}`"))?)
                        }
                        s if s.starts_with('"') => PatSeg::Item(unquote(s, text)?),
                        "" => return Err(format!("empty `[]` in `{text}`")),
                        s => PatSeg::Item(s.to_string()),
                    });
                    i = end + 1;
                    expect_key = false;
                }
                b'.' if !expect_key => {
                    i += 1;
                    expect_key = true;
                }
                b'"' if expect_key => {
                    let end = closing_quote(b, i).ok_or_else(|| format!("unclosed `\"` in `{text}`"))?;
                    segs.push(PatSeg::Key(unquote(&text[i..=end], text)?));
                    i = end + 1;
                    expect_key = false;
                }
                _ if expect_key => {
                    let end = text[i..].find(['.', '[']).map_or(b.len(), |e| e + i);
                    let word = &text[i..end];
                    segs.push(match word {
                        "*" => PatSeg::AnyKey,
                        "**" => PatSeg::Deep,
                        "podspec" if segs.is_empty() => PatSeg::PodSpec,
                        w if w.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
                            && !w.is_empty() =>
                        {
                            PatSeg::Key(w.to_string())
                        }
                        w => return Err(format!("`{w}` is not a field name in `{text}`; quote it: `\"{w}\"`")),
                    });
                    i = end;
                    expect_key = false;
                }
                _ => return Err(format!("unexpected `{}` in `{text}`", &text[i..].chars().next().unwrap_or(' '))),
            }
        }
        if segs.is_empty() || expect_key {
            return Err(format!("`{text}` is not a field path"));
        }
        Ok(Pattern { segs, text: text.to_string() })
    }

    /// Whether a difference at `path`, in an object of kind `kind`, is at or
    /// under what the pattern names.
    pub fn matches(&self, kind: &str, path: &[Seg]) -> bool {
        match self.segs.split_first() {
            Some((PatSeg::PodSpec, rest)) => {
                let Some(pod) = crate::world::pod_spec_path(kind) else { return false };
                let mut segs: Vec<PatSeg> = pod.iter().map(|k| PatSeg::Key(k.to_string())).collect();
                segs.extend(rest.iter().cloned());
                prefix(&segs, path)
            }
            _ => prefix(&self.segs, path),
        }
    }
}

fn closing_quote(b: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn unquote(s: &str, whole: &str) -> Result<String, String> {
    serde_json::from_str::<String>(s).map_err(|_| format!("bad quoted key {s} in `{whole}`"))
}

/// Whether `pat` matches a prefix of `path`.
fn prefix(pat: &[PatSeg], path: &[Seg]) -> bool {
    let Some((first, rest)) = pat.split_first() else { return true };
    if *first == PatSeg::Deep {
        return (0..=path.len()).any(|skip| prefix(rest, &path[skip..]));
    }
    let Some((seg, tail)) = path.split_first() else { return false };
    let one = match (first, seg) {
        (PatSeg::Key(k), Seg::Key(s)) => k == s,
        (PatSeg::AnyKey, Seg::Key(_)) => true,
        (PatSeg::AnyItem, Seg::Index(_) | Seg::Item { .. }) => true,
        (PatSeg::Index(i), Seg::Index(j)) => i == j,
        (PatSeg::Item(want), Seg::Item { key, .. }) => {
            key == want || (!key.contains(',') && key.split_once('=').is_some_and(|(_, v)| v == want))
        }
        _ => false,
    };
    one && prefix(rest, tail)
}

/// `by PATTERN`: two strings that are equal once every match of the regex
/// is removed from each; `{env}` in the pattern matches the env's own name.
#[derive(Debug, Clone)]
pub struct ValuePattern {
    pub re: regex::Regex,
    pub text: String,
}

/// What an env's name is replaced with before the regex runs.
const ENV_MARK: &str = "{env}";

impl ValuePattern {
    /// Compiles the pattern (at most 1 MiB of compiled regex, as every
    /// regex of the language).
    pub fn new(text: &str) -> Result<ValuePattern, String> {
        let source = text.replace(ENV_MARK, r"\{env\}");
        let re = regex::RegexBuilder::new(&source)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| format!("`{text}` is not a valid regex: {e}"))?;
        Ok(ValuePattern { re, text: text.to_string() })
    }

    fn normalise(&self, value: &str, env: &str) -> String {
        let marked = if env.is_empty() || !self.text.contains(ENV_MARK) {
            value.to_string()
        } else {
            value.replace(env, ENV_MARK)
        };
        self.re.replace_all(&marked, "").into_owned()
    }

    /// Whether `left` (in env `left_env`) and `right` (in `right_env`)
    /// differ only in what the pattern matches.
    pub fn tolerates(&self, left: &str, left_env: &str, right: &str, right_env: &str) -> bool {
        self.normalise(left, left_env) == self.normalise(right, right_env)
    }
}
