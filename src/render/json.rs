//! `--format json`: the stable machine-readable schema.
//!
//! The document is the [`Report`] serialised by serde, so its keys appear in
//! struct field order after `schema_version`: `findings`, `summary`,
//! `errors`, `skipped`, `warnings`. It is pretty-printed with a 2-space indent and ends with a
//! newline. `summary.elapsed_ms` is the only field that differs between two
//! runs over the same input; everything else is byte-identical. The schema
//! and its stability promise are documented in `docs/json-schema.md`.

use serde::Serialize;

use crate::report::Report;

/// The version of the document's shape (`schema_version`, the first key).
/// 2: evidence is a list of `{path, value, env, expected?}` items. The
/// documents before it had no `schema_version` and free-form evidence.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    #[serde(flatten)]
    report: &'a Report,
}

/// Renders `report` as the stable JSON document described in
/// `docs/json-schema.md`.
pub fn render(report: &Report) -> String {
    match serde_json::to_string_pretty(&Document { schema_version: SCHEMA_VERSION, report }) {
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
