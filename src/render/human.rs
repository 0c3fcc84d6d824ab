//! The report for people: findings grouped by rule with `file:line`.
//!
//! Layout, top to bottom, each part only when it has something to show:
//! one group per rule (header, then one block per finding with its
//! location, message, evidence and related objects), run errors, warnings,
//! skipped files, and always a final summary line. The summary says
//! `no findings` or `no objects loaded` in words, so an empty run is never
//! mistaken for a clean one.
//!
//! Colour (`anstyle` styles: red errors, yellow warnings, blue notes, dim
//! details) only when [`HumanOptions::color`] is set; the caller decides
//! (`--color`, TTY, `NO_COLOR`). Control characters and bidi overrides
//! from user input are escaped (`crate::escape`) so a hostile name cannot
//! drive the terminal or start a line of its own.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use crate::report::{Finding, Location, Notice, Report, RunError, Severity};
use serde_json::Value as Json;

/// How to render the human report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanOptions {
    /// Emit ANSI colour codes.
    pub color: bool,
    /// Print each finding's evidence under its message.
    pub show_evidence: bool,
}

impl Default for HumanOptions {
    fn default() -> Self {
        HumanOptions { color: false, show_evidence: true }
    }
}

const RED: Style = AnsiColor::Red.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const BLUE: Style = AnsiColor::Blue.on_default();
const DIM: Style = Style::new().dimmed();

/// Wraps text in one style, or passes it through when colour is off.
struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color && !text.is_empty() { format!("{style}{text}{style:#}") } else { text.to_string() }
    }

    fn severity(&self, severity: Severity, text: &str) -> String {
        let style = match severity {
            Severity::Error => RED,
            Severity::Warning => YELLOW,
            Severity::Info => BLUE,
        };
        self.paint(style, text)
    }

    fn dim(&self, text: &str) -> String {
        self.paint(DIM, text)
    }
}

/// Renders `report` for a terminal or a log. Ends with a newline.
pub fn render(report: &Report, opts: &HumanOptions) -> String {
    let p = Painter { color: opts.color };
    let mut sections: Vec<String> = Vec::new();

    let mut rest = report.findings.as_slice();
    while let Some(first) = rest.first() {
        let n = rest.iter().take_while(|f| f.rule == first.rule).count();
        let (group, tail) = rest.split_at(n);
        sections.push(rule_group(group, opts, &p));
        rest = tail;
    }

    if !report.errors.is_empty() {
        sections.push(report.errors.iter().map(|e| run_error(e, &p)).collect());
    }
    if !report.warnings.is_empty() {
        let lines = report.warnings.iter().map(|w| warning(w, &p)).collect();
        sections.push(lines);
    }
    if !report.skipped.is_empty() {
        sections.push(report.skipped.iter().map(|s| skipped(s, &p)).collect());
    }
    if !report.waived.is_empty() {
        sections.push(report.waived.iter().map(|w| waived(w, &p)).collect());
    }
    sections.push(format!("{}\n", summary_line(report, &p)));
    sections.join("\n")
}

/// The summary line alone (for `--statistics`), with a newline.
pub fn render_summary(report: &Report, opts: &HumanOptions) -> String {
    let p = Painter { color: opts.color };
    format!("{}\n", summary_line(report, &p))
}

/// Header plus one block per finding; all findings share one rule.
fn rule_group(group: &[Finding], opts: &HumanOptions, p: &Painter) -> String {
    let mut out = String::new();
    let Some(first) = group.first() else {
        return out;
    };
    let severity = group.iter().map(|f| f.severity).max().unwrap_or(first.severity);
    let head = format!("{severity}[{}]", clean(&first.rule));
    let _ = writeln!(out, "{} {}", p.severity(severity, &head), plural(group.len(), "finding", "findings"));
    for f in group {
        finding_block(&mut out, f, opts, p);
    }
    out
}

fn finding_block(out: &mut String, f: &Finding, opts: &HumanOptions, p: &Painter) {
    let mut parts = Vec::new();
    if f.file.is_empty() && f.env.is_empty() {
        parts.push("all envs".to_string());
    } else if f.file.is_empty() {
        parts.push(format!("env {}", clean(&f.env)));
    } else {
        parts.push(p.dim(&position(&f.file, f.line, 0)));
        parts.push(clean(&f.env));
    }
    if let Some(object) = object_name(&f.kind, &f.namespace, &f.name) {
        parts.push(object);
    }
    let _ = writeln!(out, "  {}", parts.join("  "));
    // One line: a line break inside the message (from a name or a value it
    // quotes) is escaped like any other control character.
    let _ = writeln!(out, "    {}", clean(&f.message));
    code_frame(out, f, p);
    if opts.show_evidence {
        evidence(out, &f.evidence);
    }
    for r in &f.related {
        let _ = writeln!(out, "    see also: {}", related(r, p));
    }
}

/// The manifest lines around the finding's line, the line itself marked
/// under its text, as rustc and miette show source:
///
/// ```text
///        |
///     30 |       containers:
///     31 |         - name: prometheus
///        |           ^^^^^^^^^^^^^^^^
///     32 |           image: prom/prometheus:v2.53.0
/// ```
fn code_frame(out: &mut String, f: &Finding, p: &Painter) {
    if f.frame.is_empty() {
        return;
    }
    let width = f.frame.iter().map(|(n, _)| n.to_string().len()).max().unwrap_or(1);
    let bar = p.dim("|");
    let _ = writeln!(out, "      {:width$} {bar}", "");
    for (n, text) in &f.frame {
        let text = clean(text);
        let _ = writeln!(out, "      {} {bar} {}", p.dim(&format!("{n:>width$}")), text);
        if *n == f.line {
            let indent = text.len() - text.trim_start().len();
            let marks = "^".repeat(text.trim().chars().count().max(1));
            let _ = writeln!(out, "      {:width$} {bar} {}{}", "", " ".repeat(indent), p.severity(f.severity, &marks));
        }
    }
}

/// Evidence items (`docs/json-schema.md`) one a line: `env: path = value
/// (expected X)`. An object prints as `key: value` lines (values in
/// compact JSON); null and empty lists or objects print nothing; any other
/// value prints as one `evidence:` line.
fn evidence(out: &mut String, value: &Json) {
    match value {
        Json::Null => {}
        Json::Array(items) if items.iter().all(Json::is_object) => {
            for i in items {
                let _ = writeln!(out, "      {}", clean(&crate::report::evidence_item(i)));
            }
        }
        Json::Object(map) => {
            for (key, v) in map {
                let _ = writeln!(out, "      {}: {}", clean(key), clean(&v.to_string()));
            }
        }
        other => {
            let _ = writeln!(out, "      evidence: {}", clean(&other.to_string()));
        }
    }
}

/// `staging  Service web/api  manifests/staging/svc.yaml:4`.
fn related(r: &Location, p: &Painter) -> String {
    let mut parts = vec![clean(&r.env)];
    if let Some(object) = object_name(&r.kind, &r.namespace, &r.name) {
        parts.push(object);
    }
    if !r.file.is_empty() {
        parts.push(p.dim(&position(&r.file, r.line, 0)));
    }
    parts.join("  ")
}

/// `Service web/api`, `Namespace payments`, or `None` for an env as a whole.
fn object_name(kind: &str, namespace: &str, name: &str) -> Option<String> {
    if kind.is_empty() && name.is_empty() {
        return None;
    }
    let name = if namespace.is_empty() { clean(name) } else { format!("{}/{}", clean(namespace), clean(name)) };
    Some(if kind.is_empty() { name } else { format!("{} {name}", clean(kind)) })
}

/// `file:line:col`, dropping the parts that are unknown (0).
fn position(file: &str, line: u32, column: u32) -> String {
    let mut s = clean(file);
    if line > 0 {
        let _ = write!(s, ":{line}");
        if column > 0 {
            let _ = write!(s, ":{column}");
        }
    }
    s
}

/// `at: message`, or just `message` when there is no position, so an entry
/// without a file reads `error[code] message`, not `error[code] : message`.
fn with_position(at: String, p: &Painter, message: &str) -> String {
    if at.is_empty() { clean(message) } else { format!("{}: {}", p.dim(&at), clean(message)) }
}

fn run_error(e: &RunError, p: &Painter) -> String {
    let head = p.severity(Severity::Error, &format!("error[{}]", clean(&e.code)));
    let at = position(&e.file, e.line, e.column);
    format!("{head} {}\n", with_position(at, p, &e.message))
}

fn warning(w: &Notice, p: &Painter) -> String {
    let head = p.severity(Severity::Warning, &format!("warning[{}]", clean(&w.code)));
    let at = position(&w.file, w.line, 0);
    format!("{head} {}\n", with_position(at, p, &w.message))
}

fn skipped(s: &Notice, p: &Painter) -> String {
    let at = position(&s.file, s.line, 0);
    format!("skipped {}\n", with_position(at, p, &s.message))
}

fn waived(w: &crate::report::Waived, p: &Painter) -> String {
    let f = &w.finding;
    let at = if f.file.is_empty() {
        format!("env {}", clean(&f.env))
    } else {
        format!("{}  {}", p.dim(&position(&f.file, f.line, 0)), clean(&f.env))
    };
    let object = object_name(&f.kind, &f.namespace, &f.name).map(|o| format!("  {o}")).unwrap_or_default();
    let owner = if w.owner.is_empty() { String::new() } else { format!(", owner {}", clean(&w.owner)) };
    format!("waived[{}] {at}{object}: {} (by {}{owner})\n", clean(&f.rule), clean(&w.reason), clean(&w.waived_by))
}

/// One line, segments joined by ` · `.
fn summary_line(report: &Report, p: &Painter) -> String {
    let s = &report.summary;
    let mut parts = Vec::new();
    if s.objects == 0 {
        parts.push(p.severity(Severity::Warning, "no objects loaded"));
    }

    let findings = report.findings.len();
    if findings == 0 {
        if s.objects > 0 {
            parts.push(match s.rules {
                0 => "no findings".to_string(),
                n => format!("no findings from {}", plural(n, "rule", "rules")),
            });
        }
    } else {
        let rules_with_findings = rules_with_findings(report);
        let by_severity = [
            (Severity::Error, "error", "errors"),
            (Severity::Warning, "warning", "warnings"),
            (Severity::Info, "info", "info"),
        ]
        .iter()
        .filter_map(|&(sev, one, many)| {
            let n = report.findings.iter().filter(|f| f.severity == sev).count();
            (n > 0).then(|| p.severity(sev, &plural(n, one, many)))
        })
        .collect::<Vec<_>>()
        .join(", ");
        let rules = if s.rules >= rules_with_findings {
            format!("{rules_with_findings} of {}", plural(s.rules, "rule", "rules"))
        } else {
            plural(rules_with_findings, "rule", "rules")
        };
        parts.push(format!("{} ({by_severity}) in {rules}", plural(findings, "finding", "findings")));
    }

    parts.push(if s.envs.is_empty() {
        "no envs".to_string()
    } else {
        // The envs in promotion order; the last is the reference env that
        // cross-env rules compare against.
        let names: Vec<String> = s.envs.iter().map(|e| clean(e)).collect();
        match names.as_slice() {
            [one] => format!("1 env ({one})"),
            [.., last] => format!("{} envs ({}; reference {last})", names.len(), names.join(" → ")),
            [] => String::new(),
        }
    });
    if s.objects > 0 {
        parts.push(format!("{} from {}", plural(s.objects, "object", "objects"), plural(s.files, "file", "files")));
    } else if s.files > 0 {
        parts.push(format!("{} read", plural(s.files, "file", "files")));
    }
    if let Some(d) = &s.schema {
        let names: Vec<String> = d.envs.iter().map(|e| clean(e)).collect();
        parts.push(format!("Kubernetes {} schemas for {} (no version known)", clean(&d.version), names.join(", ")));
    }
    if !s.uncompared_rules.is_empty() {
        // One env: the rules that compare envs had nothing to compare.
        let n = s.uncompared_rules.len();
        parts.push(format!("{} had nothing to compare with one env", plural(n, "cross-env rule", "cross-env rules")));
    }
    let skipped = s.skipped.max(report.skipped.len());
    if skipped > 0 {
        // Skipped files and documents were not checked: that is an
        // incomplete run unless the user accepted it.
        let text = format!("{skipped} skipped (not checked)");
        parts.push(if report.allow_skipped { text } else { p.severity(Severity::Error, &text) });
    }
    if s.waived > 0 {
        parts.push(format!("{} waived", s.waived));
    }
    let run_errors = s.run_errors.max(report.errors.len());
    if run_errors > 0 {
        let text = format!("{} (results incomplete)", plural(run_errors, "run error", "run errors"));
        parts.push(p.severity(Severity::Error, &text));
    }
    if !s.config.is_empty() {
        parts.push(format!("config {}", clean(&s.config)));
    }
    parts.push(format!("{} ms", s.elapsed_ms));
    parts.join(" · ")
}

/// How many distinct rules produced at least one finding.
fn rules_with_findings(report: &Report) -> usize {
    let mut rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    rules.len()
}

/// `1 finding`, `2 findings`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Escapes control characters (ESC, CR, line feeds, ...) and bidi overrides
/// so user-provided text cannot inject terminal sequences, start a line of
/// its own or reorder what is shown (`crate::escape`).
fn clean(text: &str) -> String {
    crate::escape::text(text).into_owned()
}

#[cfg(test)]
#[path = "human_tests.rs"]
mod tests;
