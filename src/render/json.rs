//! `--format json`: the stable machine-readable schema.
//!
//! The document is the [`Report`] serialised by serde, so its keys appear in
//! struct field order: `findings`, `summary`, `errors`, `skipped`,
//! `warnings`. It is pretty-printed with a 2-space indent and ends with a
//! newline. `summary.elapsed_ms` is the only field that differs between two
//! runs over the same input; everything else is byte-identical. The schema
//! and its stability promise are documented in `docs/json-schema.md`.

use crate::report::Report;

/// Renders `report` as the stable JSON document described in
/// `docs/json-schema.md`.
pub fn render(report: &Report) -> String {
    match serde_json::to_string_pretty(report) {
        Ok(mut out) => {
            out.push('\n');
            out
        }
        // Unreachable in practice: every map key in a report is a string.
        // Still emit valid JSON so a consumer sees what went wrong.
        Err(e) => {
            let message = serde_json::Value::String(e.to_string());
            format!("{{\n  \"error\": {message}\n}}\n")
        }
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
