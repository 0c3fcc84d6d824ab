//! What `check` does with a report after evaluation: notes for rules that
//! matched nothing, parity.toml exceptions and the baseline, and the file
//! names `audit` shows.

use super::*;
/// A note for each rule that matched nothing in any env: always for the
/// user's own rules (a typo in a noun or filter shows at once), and with
/// `--verbose` for the standard library's too.
pub(super) fn unmatched_notices(
    prog: &crate::bytecode::Program,
    unmatched: &[String],
    verbose: bool,
    no_envs: bool,
) -> Vec<crate::report::Notice> {
    if no_envs {
        return Vec::new();
    }
    prog.rules
        .iter()
        .filter(|r| unmatched.contains(&r.id))
        .filter(|r| verbose || !r.is_builtin())
        .map(|r| {
            let (file, line) = r.origin_file_line();
            crate::report::Notice {
                code: "parity::rule::matched-nothing".into(),
                file,
                line,
                message: format!(
                    "rule `{}` matched nothing in any env: no subject passed `{}`; check its nouns and filters",
                    r.id,
                    r.checks
                        .first()
                        .map(|c| c.text.split_whitespace().collect::<Vec<_>>().join(" "))
                        .unwrap_or_default()
                ),
            }
        })
        .collect()
}

/// Shows files under other names, and drops the notices about errors a
/// snapshot recorded (the caller reported them already).
pub(super) fn relabel(report: &mut Report, labels: &[(String, String)]) {
    let name = |f: &mut String| {
        if let Some((_, to)) = labels.iter().find(|(from, _)| from == f) {
            *f = to.clone();
        }
    };
    // A line inside a temporary snapshot means nothing: only a saved file
    // keeps its lines.
    let temporary = |f: &str| f.starts_with("cluster:");
    for f in &mut report.findings {
        name(&mut f.file);
        if temporary(&f.file) {
            f.line = 0;
        }
        for r in &mut f.related {
            name(&mut r.file);
            if temporary(&r.file) {
                r.line = 0;
            }
        }
    }
    for w in &mut report.waived {
        name(&mut w.finding.file);
    }
    report
        .warnings
        .retain(|w| w.code != "parity::load::snapshot-error" || !labels.iter().any(|(from, _)| *from == w.file));
    report.skipped.iter_mut().for_each(|n| name(&mut n.file));
    report.warnings.iter_mut().for_each(|n| name(&mut n.file));
    report.errors.iter_mut().for_each(|e| name(&mut e.file));
}

/// `file:line: message`, or less when those are unknown.
pub(super) fn located(file: &str, line: u32, message: &str) -> String {
    match (file.is_empty(), line) {
        (true, _) => message.to_string(),
        (false, 0) => format!("{file}: {message}"),
        (false, l) => format!("{file}:{l}: {message}"),
    }
}

/// Applies parity.toml exceptions and the baseline, or writes the baseline.
/// Returns an exit code when the run ends here.
pub(super) fn waivers(args: &CheckArgs, config: Option<&Config>, report: &mut Report) -> Option<i32> {
    use crate::exceptions;
    let mut list = Vec::new();
    if let Some(cfg) = config {
        match exceptions::from_config(cfg) {
            Ok(l) => list = l,
            Err(e) => report.errors.push(e),
        }
    }
    let baseline = match &args.baseline {
        Some(path) => match exceptions::read_baseline(path) {
            Ok(b) => Some(b),
            Err(e) => {
                report.errors.push(e);
                None
            }
        },
        None => None,
    };
    let findings = std::mem::take(&mut report.findings);
    let applied = exceptions::apply(findings, &list, baseline.as_ref(), exceptions::Date::today());
    report.findings = applied.kept;
    report.findings.extend(applied.meta);
    report.waived.extend(applied.waived);
    if let Some(path) = &args.write_baseline {
        report.finish();
        if report.incomplete() {
            // A baseline records what is accepted: one written from a run
            // that could not read everything would waive nothing it missed
            // and drop every finding it did not see.
            for e in &report.errors {
                eprintln!("error[{}]: {}", e.code, located(&e.file, e.line, &e.message));
            }
            for s in &report.skipped {
                eprintln!("skipped[{}]: {}", s.code, located(&s.file, s.line, &s.message));
            }
            eprintln!(
                "error: the baseline {} was not written: the run is incomplete ({} run errors, {} skipped); \
                 fix them (or pass --allow-skipped for skips) and run again",
                crate::cli::display(path),
                report.errors.len(),
                if report.allow_skipped { 0 } else { report.skipped.len() },
            );
            return Some(2);
        }
        return Some(match exceptions::write_baseline(path, &report.findings) {
            Ok(()) => {
                println!("baseline written to {} with {} findings", crate::cli::display(path), report.findings.len());
                0
            }
            Err(e) => {
                eprintln!("{}", crate::escape::error_line(&e));
                2
            }
        });
    }
    None
}
