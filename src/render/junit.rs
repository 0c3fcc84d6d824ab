//! `--format junit`: JUnit XML as GitLab, Jenkins and most CI systems read
//! it.
//!
//! `<testsuites>` holds one `<testsuite>` per rule (every loaded rule, plus
//! any rule that has findings but no documentation). Each finding is a
//! failing `<testcase>` (classname = rule id, name = `env kind ns/name`, or
//! `env NAME` for a finding about an env as a whole) whose `<failure>`
//! carries the message, `file:line` and the evidence. A rule without
//! findings gets one passing test case named `all envs`. The number of
//! subjects a rule checked is not known here, so `tests` is the number of
//! findings, at least 1. Run errors are `<testcase>`s with an `<error>` in a
//! suite named `parity`. Every text and attribute goes through [`escape`].

use std::fmt::Write as _;

use crate::report::{Finding, Report, RuleDoc, RunError};

/// Renders `report` as a JUnit XML document. `rules` are all loaded rules.
pub fn render(report: &Report, rules: &[RuleDoc]) -> String {
    let mut ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    for f in &report.findings {
        if !ids.contains(&f.rule.as_str()) {
            ids.push(&f.rule);
        }
    }
    let mut suites = String::new();
    let (mut tests, mut failures) = (0, 0);
    for id in ids {
        let findings: Vec<&Finding> = report.findings.iter().filter(|f| f.rule == id).collect();
        tests += findings.len().max(1);
        failures += findings.len();
        suites.push_str(&rule_suite(id, &findings));
    }
    if !report.errors.is_empty() {
        tests += report.errors.len();
        suites.push_str(&error_suite(&report.errors));
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"parity\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{}\">",
        report.errors.len()
    );
    out.push_str(&suites);
    out.push_str("</testsuites>\n");
    out
}

fn rule_suite(id: &str, findings: &[&Finding]) -> String {
    let id_x = escape(id);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  <testsuite name=\"{id_x}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
        findings.len().max(1),
        findings.len()
    );
    if findings.is_empty() {
        let _ = writeln!(out, "    <testcase classname=\"{id_x}\" name=\"all envs\"/>");
    }
    for f in findings {
        let file = if f.file.is_empty() { String::new() } else { format!(" file=\"{}\"", escape(&f.file)) };
        let _ = writeln!(out, "    <testcase classname=\"{id_x}\" name=\"{}\"{file}>", escape(&case_name(f)));
        let _ = writeln!(
            out,
            "      <failure message=\"{}\" type=\"{}\">{}</failure>",
            escape(&f.message),
            f.severity.as_str(),
            escape(&failure_text(f))
        );
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n");
    out
}

/// `env kind ns/name`, `env kind name` for cluster-scoped objects, `env NAME`
/// for a finding about an env as a whole.
pub fn case_name(f: &Finding) -> String {
    match (f.kind.is_empty(), f.namespace.is_empty()) {
        (true, _) => format!("env {}", f.env),
        (false, true) => format!("{} {} {}", f.env, f.kind, f.name),
        (false, false) => format!("{} {} {}/{}", f.env, f.kind, f.namespace, f.name),
    }
}

fn failure_text(f: &Finding) -> String {
    let mut text = f.message.clone();
    if !f.file.is_empty() {
        let _ = write!(text, "\n{}:{}", f.file, f.line);
    }
    match &f.evidence {
        serde_json::Value::Null => {}
        serde_json::Value::Array(items) if items.iter().all(serde_json::Value::is_object) => {
            for i in items {
                let _ = write!(text, "\nevidence: {}", crate::report::evidence_item(i));
            }
        }
        serde_json::Value::Object(o) if o.is_empty() => {}
        other => {
            let _ = write!(text, "\nevidence: {other}");
        }
    }
    for r in &f.related {
        let object = if r.namespace.is_empty() {
            format!("{} {}", r.kind, r.name)
        } else {
            format!("{} {}/{}", r.kind, r.namespace, r.name)
        };
        let _ = write!(text, "\nsee also: {} {} {}:{}", r.env, object.trim(), r.file, r.line);
    }
    text
}

fn error_suite(errors: &[RunError]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  <testsuite name=\"parity\" tests=\"{}\" failures=\"0\" errors=\"{}\" skipped=\"0\">",
        errors.len(),
        errors.len()
    );
    for e in errors {
        let at = match (e.file.is_empty(), e.line) {
            (true, _) => String::new(),
            (false, 0) => format!(" {}", e.file),
            (false, line) => format!(" {}:{line}", e.file),
        };
        let file = if e.file.is_empty() { String::new() } else { format!(" file=\"{}\"", escape(&e.file)) };
        let _ =
            writeln!(out, "    <testcase classname=\"parity\" name=\"{}\"{file}>", escape(&format!("{}{at}", e.code)));
        let _ = writeln!(
            out,
            "      <error message=\"{}\" type=\"{}\">{}</error>",
            escape(&e.message),
            escape(&e.code),
            escape(format!("{}\n{}", e.message, at.trim_start()).trim_end())
        );
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n");
    out
}

/// Escapes text for XML 1.0 element content and attribute values alike:
/// the five markup characters become entities, tab, newline and carriage
/// return become character references (so attribute normalisation keeps
/// them), and characters XML 1.0 cannot carry at all (other C0 controls,
/// U+FFFE, U+FFFF) are written as visible `\u{..}` text.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[path = "junit_tests.rs"]
mod tests;
