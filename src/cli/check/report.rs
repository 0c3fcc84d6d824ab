//! What `check` does with a finished report besides rendering it: write a
//! baseline, and tidy the locations of `audit`'s in-memory snapshots.

use super::*;
/// `audit`'s snapshots held in memory (`cluster:ENV`): a line inside one
/// means nothing to the reader (only a saved snapshot keeps its lines), and
/// the errors a snapshot recorded are reported by `audit` already, so their
/// notices are dropped.
pub(super) fn audit_sources(report: &mut Report) {
    let in_memory = |f: &str| f.starts_with("cluster:");
    for f in &mut report.findings {
        if in_memory(&f.file) {
            f.line = 0;
        }
        for r in &mut f.related {
            if in_memory(&r.file) {
                r.line = 0;
            }
        }
    }
    report.warnings.retain(|w| w.code != "parity::load::snapshot-error");
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
