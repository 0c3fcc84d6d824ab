//! `[[exception]]` entries of `parity.toml` (globs, a reason, an owner, an
//! optional expiry date), and applying them with the baseline to a run's
//! findings. Expired and unused exceptions become findings of their own.

use std::collections::BTreeSet;

use super::WaiveError;
use super::baseline::BaselineEntry;

use crate::glob::Glob;
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
    matchers: Vec<Glob>,
}

/// A calendar date (`YYYY-MM-DD`, checked: `2026-02-30` is not one).
pub type Date = jiff::civil::Date;

/// Parses `YYYY-MM-DD` into a real calendar date.
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    // jiff also reads longer ISO 8601 forms; an exception's date is exactly
    // ten characters.
    if s.len() != 10 {
        return None;
    }
    s.parse::<Date>().ok()
}

/// Today in UTC; `PARITY_TODAY=YYYY-MM-DD` overrides it (for tests and for
/// checking what will expire).
pub fn today() -> Date {
    if let Some(d) = std::env::var("PARITY_TODAY").ok().and_then(|s| parse_date(&s)) {
        return d;
    }
    jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

fn config_error(config: &Config, offset: usize, message: String) -> RunError {
    config.error_at(WaiveError::Exception(message), offset)
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
                Some(s) => Some(parse_date(s).ok_or_else(|| {
                    config_error(config, at, format!("`expires = \"{s}\"` is not a date (YYYY-MM-DD)"))
                })?),
                None => None,
            };
        let matchers = [&raw.rule, &raw.env, &raw.kind, &raw.namespace, &raw.name]
            .iter()
            .map(|g| Glob::new(g))
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
        file: e.file.clone(),
        line: e.line,
        message,
        evidence: serde_json::json!({"reason": e.reason, "owner": e.owner}),
        ..Finding::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_real_calendar_dates() {
        assert_eq!(parse_date("2000-02-29"), Some(jiff::civil::date(2000, 2, 29)));
        assert_eq!(parse_date(" 2026-11-28 ").map(|d| d.to_string()), Some("2026-11-28".into()));
        for bad in ["2026-02-30", "2026-13-01", "2026-1-1", "2026-01-01T00:00", "tomorrow", ""] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
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
