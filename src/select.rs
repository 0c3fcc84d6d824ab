//! Rule selection: which of the compiled rules run.
//!
//! A pattern names rules by id (`image-tag-parity`), by tag (`security`) or
//! by a glob over ids (`image-*`, `*-parity`; `*` is any text, `?` one
//! character, `[abc]` one of those: parity's one glob syntax, `crate::glob`). Without `select`, every rule runs except those marked
//! `enabled: false`; with it, exactly the rules it names. `extend-select`
//! adds rules to either, and `ignore` removes rules last, whatever selected
//! them. A rule marked `enabled: false` runs only when a `select` or
//! `extend-select` pattern names it.

use crate::bytecode::{Program, Rule};

/// A `--select`/`--ignore`/parity.toml pattern that names no rule: an error
/// for a selection, a warning for an ignore.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{0}")]
#[diagnostic(code("parity::select::unknown"))]
pub struct SelectError(pub String);

/// The selection of a run: from the command line and parity.toml.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// `--select`/`select`: when given, only these rules run.
    pub select: Option<Vec<String>>,
    /// `--extend-select`/`extend-select`: rules added to the selection.
    pub extend_select: Vec<String>,
    /// `--ignore`/`ignore`: rules taken out, whatever selected them.
    pub ignore: Vec<String>,
}

/// A pattern of a selection that names no loaded rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// `select`, `extend-select` or `ignore`.
    pub key: &'static str,
    pub pattern: String,
}

impl Selection {
    /// Whether this selection keeps the default set (every enabled rule).
    pub fn is_default(&self) -> bool {
        self.select.is_none() && self.extend_select.is_empty() && self.ignore.is_empty()
    }

    /// Whether a rule runs under this selection.
    pub fn keeps(&self, rule: &Rule) -> bool {
        let any = |pats: &[String]| pats.iter().any(|p| matches(p, rule));
        let selected = match &self.select {
            Some(pats) => any(pats),
            None => rule.enabled,
        };
        (selected || any(&self.extend_select)) && !any(&self.ignore)
    }

    /// The patterns that name no rule of the program (typos, rules of a
    /// file that was not loaded).
    pub fn unknown(&self, prog: &Program) -> Vec<Unknown> {
        let mut out = Vec::new();
        let lists: [(&'static str, &[String]); 3] = [
            ("select", self.select.as_deref().unwrap_or(&[])),
            ("extend-select", &self.extend_select),
            ("ignore", &self.ignore),
        ];
        for (key, pats) in lists {
            for p in pats {
                if !prog.rules.iter().any(|r| matches(p, r)) {
                    out.push(Unknown { key, pattern: p.clone() });
                }
            }
        }
        out
    }

    /// Keeps the rules of the program this selection runs. `always` are ids
    /// that run whatever the selection says (the bodies given with `--rule`).
    pub fn apply(&self, prog: &mut Program, always: &[String]) {
        prog.rules.retain(|r| always.contains(&r.id) || self.keeps(r));
    }
}

/// Whether a pattern names a rule: its id, one of its tags, or a glob
/// matching its id.
pub fn matches(pattern: &str, rule: &Rule) -> bool {
    pattern == rule.id || rule.tags.iter().any(|t| t == pattern) || (is_glob(pattern) && glob(pattern, &rule.id))
}

fn is_glob(p: &str) -> bool {
    p.contains(['*', '?', '['])
}

/// A glob over rule ids, in parity's one glob syntax (`crate::glob`: `*`,
/// `?`, `[abc]`); one that cannot be compiled matches nothing.
pub fn glob(pattern: &str, text: &str) -> bool {
    crate::glob::Glob::new(pattern).is_ok_and(|g| g.is_match(text))
}

#[cfg(test)]
#[path = "select_tests.rs"]
mod tests;
