//! Waiving findings on purpose, without hiding them: `[[exception]]` entries
//! in `parity.toml` (globs, a reason, an owner, an optional expiry date) and
//! a baseline file of known findings. Annotations on objects are handled by
//! the engine, which has the objects. Every waived finding is kept in the
//! report's `waived` list and counted; expired and unused exceptions become
//! findings of their own.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::compile::glob_to_regex;
use crate::load::config::{Config, ExceptionConfig};
use crate::report::{Finding, RunError, Severity, Waived};

/// Rule id of the finding for an exception past its expiry date.
pub const EXPIRED: &str = "parity/exception-expired";
/// Rule id of the finding for an exception that matched nothing.
pub const UNUSED: &str = "parity/exception-unused";

/// One `[[exception]]` of `parity.toml`.
#[derive(Debug, Clone)]
pub struct Exception {
    pub rule: String,
    pub env: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub reason: String,
    pub owner: String,
    pub expires: Option<Date>,
    /// Where it is written: file and line.
    pub file: String,
    pub line: u32,
    matchers: Vec<regex::Regex>,
}

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let mut it = s.trim().splitn(3, '-');
        let year = it.next()?.parse().ok()?;
        let month = it.next()?.parse().ok()?;
        let day = it.next()?.parse().ok()?;
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(Date { year, month, day })
    }

    /// Today in UTC; `PARITY_TODAY=YYYY-MM-DD` overrides it (for tests and
    /// for checking what will expire).
    pub fn today() -> Date {
        if let Some(d) = std::env::var("PARITY_TODAY").ok().and_then(|s| Date::parse(&s)) {
            return d;
        }
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        civil_from_days((secs / 86_400) as i64)
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Days since 1970-01-01 → date (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> Date {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    Date { year, month, day }
}

fn config_error(config: &Config, offset: usize, message: String) -> RunError {
    RunError { code: "parity::config::exception".into(), ..config.error_at("", offset, message) }
}

/// Checks the `[[exception]]` entries of the configuration (read once by
/// `load::read_config`, with the TOML parser: `[[ exception ]]` and
/// `exception = [...]` count, text inside a string never does). Errors
/// point at the entry's line.
pub fn from_config(config: &Config) -> Result<Vec<Exception>, RunError> {
    let mut out = Vec::new();
    for spanned in &config.exceptions {
        let at = spanned.span().start;
        let (line, _) = config.line_col(at);
        let raw: &ExceptionConfig = spanned.get_ref();
        if raw.reason.trim().is_empty() {
            return Err(config_error(config, at, "an exception needs a non-empty `reason`".into()));
        }
        if raw.owner.trim().is_empty() {
            return Err(config_error(config, at, "an exception needs a non-empty `owner`".into()));
        }
        let expires =
            match &raw.expires {
                Some(s) => Some(Date::parse(s).ok_or_else(|| {
                    config_error(config, at, format!("`expires = \"{s}\"` is not a date (YYYY-MM-DD)"))
                })?),
                None => None,
            };
        let matchers = [&raw.rule, &raw.env, &raw.kind, &raw.namespace, &raw.name]
            .iter()
            .map(|g| regex::Regex::new(&glob_to_regex(g)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| config_error(config, at, format!("invalid glob: {e}")))?;
        out.push(Exception {
            rule: raw.rule.clone(),
            env: raw.env.clone(),
            kind: raw.kind.clone(),
            namespace: raw.namespace.clone(),
            name: raw.name.clone(),
            reason: raw.reason.clone(),
            owner: raw.owner.clone(),
            expires,
            file: config.file.clone(),
            line,
            matchers,
        });
    }
    Ok(out)
}

impl Exception {
    fn matches(&self, f: &Finding) -> bool {
        let fields = [&f.rule, &f.env, &f.kind, &f.namespace, &f.name];
        self.matchers.iter().zip(fields).all(|(m, v)| m.is_match(v))
    }
}

/// One finding's identity in a baseline.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub rule: String,
    pub env: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl BaselineEntry {
    fn of(f: &Finding) -> BaselineEntry {
        BaselineEntry {
            rule: f.rule.clone(),
            env: f.env.clone(),
            kind: f.kind.clone(),
            namespace: f.namespace.clone(),
            name: f.name.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct BaselineFile {
    version: u32,
    findings: Vec<BaselineEntry>,
}

/// Writes the findings of a run as a baseline file.
pub fn write_baseline(path: &Path, findings: &[Finding]) -> Result<(), RunError> {
    let entries: BTreeSet<BaselineEntry> = findings.iter().map(BaselineEntry::of).collect();
    let file = BaselineFile { version: 1, findings: entries.into_iter().collect() };
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    std::fs::write(path, text).map_err(|e| RunError {
        code: "parity::baseline".into(),
        file: crate::cli::display(path),
        line: 0,
        column: 0,
        message: format!("cannot write the baseline: {e}"),
    })
}

/// The size limit of a baseline file (read with the bounded reader).
pub const MAX_BASELINE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a baseline file.
pub fn read_baseline(path: &Path) -> Result<BTreeSet<BaselineEntry>, RunError> {
    let shown = crate::cli::display(path);
    let err = |message: String| RunError {
        code: "parity::baseline".into(),
        file: shown.clone(),
        line: 0,
        column: 0,
        message,
    };
    let text = crate::load::files::read_text(path, &shown, MAX_BASELINE_BYTES)
        .map_err(|e| err(format!("cannot read the baseline: {}", e.message)))?;
    let file: BaselineFile = serde_json::from_str(&text).map_err(|e| RunError {
        code: "parity::baseline".into(),
        file: shown.clone(),
        line: e.line() as u32,
        column: e.column() as u32,
        message: format!("not a parity baseline: {e}"),
    })?;
    if file.version != 1 {
        return Err(err(format!("baseline version {} is not supported (expected 1)", file.version)));
    }
    Ok(file.findings.into_iter().collect())
}

/// What applying waivers produced.
#[derive(Debug, Default)]
pub struct Applied {
    pub kept: Vec<Finding>,
    pub waived: Vec<Waived>,
    /// Expired and unused exceptions, as findings.
    pub meta: Vec<Finding>,
}

/// Applies `parity.toml` exceptions and the baseline to findings.
pub fn apply(
    findings: Vec<Finding>,
    exceptions: &[Exception],
    baseline: Option<&BTreeSet<BaselineEntry>>,
    today: Date,
) -> Applied {
    let mut out = Applied::default();
    let mut used = vec![false; exceptions.len()];
    let live: Vec<bool> = exceptions.iter().map(|e| e.expires.is_none_or(|d| d >= today)).collect();
    for f in findings {
        if let Some(i) = exceptions.iter().enumerate().position(|(i, e)| live[i] && e.matches(&f)) {
            used[i] = true;
            let e = &exceptions[i];
            out.waived.push(Waived {
                reason: e.reason.clone(),
                waived_by: format!("{}:{}", e.file, e.line),
                owner: e.owner.clone(),
                finding: f,
            });
            continue;
        }
        if baseline.is_some_and(|b| b.contains(&BaselineEntry::of(&f))) {
            out.waived.push(Waived {
                reason: "in the baseline".into(),
                waived_by: "baseline".into(),
                owner: String::new(),
                finding: f,
            });
            continue;
        }
        out.kept.push(f);
    }
    for (i, e) in exceptions.iter().enumerate() {
        let what = format!("rule={} env={} kind={} namespace={} name={}", e.rule, e.env, e.kind, e.namespace, e.name);
        if !live[i] {
            let date = e.expires.map(|d| d.to_string()).unwrap_or_default();
            out.meta.push(meta(
                EXPIRED,
                Severity::Error,
                e,
                format!("exception for {what} expired on {date} (owner {}); renew it or fix the findings", e.owner),
            ));
        } else if !used[i] {
            out.meta.push(meta(
                UNUSED,
                Severity::Warning,
                e,
                format!("exception for {what} matched no finding; remove it (owner {})", e.owner),
            ));
        }
    }
    out
}

fn meta(rule: &str, severity: Severity, e: &Exception, message: String) -> Finding {
    Finding {
        rule: rule.into(),
        severity,
        env: String::new(),
        api_version: String::new(),
        kind: String::new(),
        namespace: String::new(),
        name: String::new(),
        file: e.file.clone(),
        line: e.line,
        message,
        evidence: serde_json::json!({"reason": e.reason, "owner": e.owner}),
        related: Vec::new(),
        frame: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), Date { year: 1970, month: 1, day: 1 });
        assert_eq!(civil_from_days(20_415), Date { year: 2025, month: 11, day: 23 });
        assert_eq!(civil_from_days(11_016), Date { year: 2000, month: 2, day: 29 });
        assert!(Date::parse("2026-02-30").is_some());
        assert!(Date::parse("2026-13-01").is_none());
    }

    fn exceptions(text: &str) -> Result<Vec<Exception>, RunError> {
        let config = crate::load::config::parse_config(text, "parity.toml")?;
        from_config(&config)
    }

    #[test]
    fn every_toml_form_of_the_array_counts_and_lines_are_the_entries() {
        let text = "promotion = [\"a\"]\n\n[[ exception ]]\nrule = \"x\"\nreason = \"r\"\nowner = \"o\"\n";
        let list = exceptions(text).unwrap();
        assert_eq!((list.len(), list[0].line, list[0].file.as_str()), (1, 3, "parity.toml"));
        let inline = "exception = [\n  { rule = \"x\", reason = \"r\", owner = \"o\" },\n  { rule = \"y\", reason = \"r\", owner = \"o\" },\n]\n";
        let list = exceptions(inline).unwrap();
        assert_eq!(list.iter().map(|e| (e.rule.as_str(), e.line)).collect::<Vec<_>>(), [("x", 2), ("y", 3)]);
    }

    #[test]
    fn a_header_inside_a_string_is_text() {
        let text = "[[env]]\nname = \"a\"\nsource = \"a\"\ntags = [\"\"\"\n[[exception]]\nrule = \"*\"\nreason = \"r\"\nowner = \"o\"\n\"\"\"]\n";
        assert!(exceptions(text).unwrap().is_empty());
    }

    #[test]
    fn a_bad_entry_names_its_line() {
        let text =
            "[[env]]\nname = \"a\"\nsource = \"a\"\n\n[[exception]]\nrule = \"x\"\nreason = \" \"\nowner = \"o\"\n";
        let e = exceptions(text).unwrap_err();
        assert_eq!((e.code.as_str(), e.line), ("parity::config::exception", 5));
        let e =
            crate::load::config::parse_config("[[exception]]\nrule = \"x\"\nreasons = \"r\"\n", "p.toml").unwrap_err();
        assert_eq!((e.line, e.column), (3, 1), "{}", e.message);
        assert!(e.message.contains("did you mean `reason`?"), "{}", e.message);
    }
}
