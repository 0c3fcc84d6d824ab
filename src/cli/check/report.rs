//! What `check` does with a finished report besides rendering it: write a
//! baseline, and show `audit`'s temporary snapshots under their names.

use super::*;
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

/// Writes the findings of a complete run as a baseline (exit 0), or
/// refuses to when the run is incomplete (exit 2).
pub(super) fn write_baseline(path: &std::path::Path, report: &Report) -> i32 {
    if report.incomplete() {
        // A baseline records what is accepted: one written from a run that
        // could not read everything would waive nothing it missed and drop
        // every finding it did not see.
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
        return 2;
    }
    match crate::waive::write_baseline(path, &report.findings) {
        Ok(()) => {
            println!("baseline written to {} with {} findings", crate::cli::display(path), report.findings.len());
            0
        }
        Err(e) => {
            eprintln!("{}", crate::escape::error_line(&e));
            2
        }
    }
}
