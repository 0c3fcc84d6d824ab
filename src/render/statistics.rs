//! `--statistics`: how many findings each rule produced, as `ruff check
//! --statistics` shows them, instead of the findings themselves. Rules
//! with the most findings first, then by rule id; the count column is
//! right-aligned. The summary line follows in the human format; in JSON
//! the statistics are a list of `{rule, severity, count, title}`.

use std::fmt::Write as _;

use serde::Serialize;

use crate::report::{Report, RuleDoc, Severity};

/// One rule's count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    pub rule: String,
    pub severity: Severity,
    pub count: usize,
    /// The rule's title; `""` for findings of no loaded rule
    /// (`parity/duplicate-object`, exceptions).
    pub title: String,
}

/// The counts per rule, most findings first, then by rule id.
pub fn counts(report: &Report, rules: &[RuleDoc]) -> Vec<RuleCount> {
    let mut out: Vec<RuleCount> = Vec::new();
    for f in &report.findings {
        match out.iter_mut().find(|c| c.rule == f.rule) {
            Some(c) => {
                c.count += 1;
                c.severity = c.severity.max(f.severity);
            }
            None => out.push(RuleCount {
                rule: f.rule.clone(),
                severity: f.severity,
                count: 1,
                title: rules.iter().find(|r| r.id == f.rule).map(|r| r.title.clone()).unwrap_or_default(),
            }),
        }
    }
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.rule.cmp(&b.rule)));
    out
}

/// `  3  warning  deployment-parity  Every Deployment of ...` lines. Rule
/// ids and titles are escaped (`crate::escape`).
pub fn render_human(report: &Report, rules: &[RuleDoc]) -> String {
    let counts = counts(report, rules);
    let width = counts.iter().map(|c| c.count.to_string().len()).max().unwrap_or(1);
    let id_width = counts.iter().map(|c| c.rule.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for c in &counts {
        let rule = crate::escape::text(&c.rule);
        let title = crate::escape::text(&c.title);
        let line = format!("{:>width$}  {:<7}  {:<id_width$}  {}", c.count, c.severity.as_str(), rule, title);
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// The statistics as a JSON list, pretty-printed, ending with a newline.
pub fn render_json(report: &Report, rules: &[RuleDoc]) -> String {
    let mut out = serde_json::to_string_pretty(&counts(report, rules)).unwrap_or_else(|_| "[]".into());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Finding;

    fn finding(rule: &str, severity: Severity) -> Finding {
        Finding {
            rule: rule.into(),
            severity,
            env: "prod".into(),
            evidence: serde_json::json!([]),
            ..Finding::default()
        }
    }

    #[test]
    fn counts_per_rule_most_first_then_by_id() {
        let report = Report {
            findings: vec![
                finding("b-rule", Severity::Warning),
                finding("a-rule", Severity::Error),
                finding("c-rule", Severity::Warning),
                finding("c-rule", Severity::Warning),
            ],
            ..Default::default()
        };
        let text = render_human(&report, &[]);
        assert_eq!(text, "2  warning  c-rule\n1  error    a-rule\n1  warning  b-rule\n");
        let json: serde_json::Value = serde_json::from_str(&render_json(&report, &[])).unwrap();
        assert_eq!(json[0], serde_json::json!({"rule": "c-rule", "severity": "warning", "count": 2, "title": ""}));
    }
}
