//! The baseline: a file of known findings (`--write-baseline`,
//! `--baseline`), waived while they stay as they are.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::WaiveError;
use crate::load::files::display;
use crate::report::{ErrorAt, Finding, RunError};

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
    pub(super) fn of(f: &Finding) -> BaselineEntry {
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
    std::fs::write(path, text)
        .map_err(|e| WaiveError::Baseline(format!("cannot write the baseline: {e}")).at(&display(path)))
}

/// The size limit of a baseline file (read with the bounded reader).
pub const MAX_BASELINE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a baseline file.
pub fn read_baseline(path: &Path) -> Result<BTreeSet<BaselineEntry>, RunError> {
    let shown = display(path);
    let err = |message: String| WaiveError::Baseline(message).at(&shown.clone());
    let text = crate::load::files::read_text(path, &shown, MAX_BASELINE_BYTES)
        .map_err(|e| err(format!("cannot read the baseline: {}", e.message)))?;
    let file: BaselineFile = serde_json::from_str(&text).map_err(|e| {
        let error = WaiveError::Baseline(format!("not a parity baseline: {e}"));
        RunError::new(&error, shown.clone(), e.line() as u32, e.column() as u32)
    })?;
    if file.version != 1 {
        return Err(err(format!("baseline version {} is not supported (expected 1)", file.version)));
    }
    Ok(file.findings.into_iter().collect())
}
