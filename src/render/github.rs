//! `--format github`: GitHub Actions workflow commands, which GitHub shows
//! as annotations on the pull request's files.
//!
//! One line per finding, `::error file=PATH,line=N,title=RULE::MESSAGE`
//! (`::warning` for warnings, `::notice` for infos; a finding about an env
//! as a whole has no file, so no `file`/`line`), then one `::error` line per
//! run error, a `::warning` per loader warning and an `::error` per skipped
//! file (a `::notice` when skips are allowed), and last a plain summary line.
//! Control characters and bidi overrides in messages and properties are
//! first written as visible escapes (`\n`, `\u{1b}`: `crate::escape`), so no
//! line break, ESC or OSC sequence from a manifest reaches the log; then
//! messages escape `%`, and property values also `:` and `,`, as GitHub's
//! runner requires.

use std::fmt::Write as _;

use crate::report::{Report, Severity};

/// Renders `report` as workflow commands, one per line.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        out.push_str(&line(command, &f.file, f.line, 0, &f.rule, &f.message));
    }
    for e in &report.errors {
        out.push_str(&line("error", &e.file, e.line, e.column, &e.code, &e.message));
    }
    for w in &report.warnings {
        out.push_str(&line("warning", &w.file, w.line, 0, &w.code, &w.message));
    }
    // A skipped file fails the run (exit 2) unless the user accepted skips.
    let level = if report.allow_skipped { "notice" } else { "error" };
    for s in &report.skipped {
        out.push_str(&line(level, &s.file, s.line, 0, &s.code, &format!("skipped: {}", s.message)));
    }
    out.push_str(&summary(report));
    out
}

/// One workflow command; `file`, `line` and `col` are left out when empty
/// or 0.
fn line(command: &str, file: &str, line: u32, col: u32, title: &str, message: &str) -> String {
    let mut props = Vec::new();
    if !file.is_empty() {
        props.push(format!("file={}", escape_property(file)));
        if line > 0 {
            props.push(format!("line={line}"));
            if col > 0 {
                props.push(format!("col={col}"));
            }
        }
    }
    props.push(format!("title={}", escape_property(title)));
    format!("::{command} {}::{}\n", props.join(","), escape_data(message))
}

fn summary(report: &Report) -> String {
    let s = &report.summary;
    let mut out = format!(
        "parity: {} {} ({} {}, {} {}, {} info) · {} {} · {} {}",
        s.findings,
        plural(s.findings, "finding", "findings"),
        s.errors,
        plural(s.errors, "error", "errors"),
        s.warnings,
        plural(s.warnings, "warning", "warnings"),
        s.infos,
        s.envs.len(),
        plural(s.envs.len(), "env", "envs"),
        s.objects,
        plural(s.objects, "object", "objects"),
    );
    if s.skipped > 0 {
        let _ = write!(out, " · {} skipped (not checked)", s.skipped);
    }
    if s.run_errors > 0 {
        let _ = write!(out, " · {} run {}", s.run_errors, plural(s.run_errors, "error", "errors"));
    }
    out.push('\n');
    out
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// Escapes a command's data (the message): control characters and bidi
/// overrides become visible text (`crate::escape`, so no ESC or line break
/// reaches the log; the runner's `%0A` would turn back into a line break),
/// then `%` as the runner requires.
pub fn escape_data(text: &str) -> String {
    crate::escape::text(text).replace('%', "%25")
}

/// Escapes a property value: as data, plus `:` and `,`.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
#[path = "github_tests.rs"]
mod tests;
