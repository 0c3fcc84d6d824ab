//! `--format sarif`: SARIF 2.1.0 for code-scanning tools (GitHub code
//! scanning, Azure DevOps, GitLab, IDE viewers).
//!
//! One run whose `tool.driver.rules` lists every loaded rule, with or
//! without findings, and one result per finding:
//!
//! - `locations`: the offending object's file (a relative URI with `/`) and
//!   line; a finding about an env as a whole has no file, so it carries a
//!   logical location naming the env instead.
//! - `relatedLocations`: the finding's related objects (counterparts in
//!   other envs, or the objects that triggered an env-level rule).
//! - `partialFingerprints["parity/v1"]`: a stable FNV-1a hash of rule, env,
//!   kind, namespace and name, so uploads of later runs deduplicate.
//! - `properties`: env, kind, namespace, name and the structured evidence.
//!
//! Run errors, warnings and skipped files become tool execution
//! notifications of the one invocation, and `executionSuccessful` is false
//! when there were run errors. Output is pretty-printed, ends with a
//! newline, and is byte-identical between runs over the same input.

use std::collections::HashMap;

use serde_json::{Value as Json, json};

use crate::report::{Finding, Location, Notice, Report, RuleDoc, RunError, Severity};

/// Where the SARIF 2.1.0 schema lives (as `$schema`).
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The key of the partial fingerprint in every result.
pub const FINGERPRINT_KEY: &str = "parity/v1";

/// Renders `report` as a SARIF 2.1.0 log. `rules` are all loaded rules, in
/// the order `ruleIndex` refers to.
pub fn render(report: &Report, rules: &[RuleDoc]) -> String {
    let index: HashMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
    let results: Vec<Json> = report.findings.iter().map(|f| result(f, index.get(f.rule.as_str()).copied())).collect();
    let mut notifications: Vec<Json> = report.errors.iter().map(run_error).collect();
    notifications.extend(report.warnings.iter().map(|n| notice(n, "warning")));
    notifications.extend(report.skipped.iter().map(|n| notice(n, "note")));
    let mut log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "parity",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules.iter().map(rule).collect::<Vec<_>>(),
                }
            },
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    if let (Some(uri), Some(driver)) =
        (information_uri(), log.pointer_mut("/runs/0/tool/driver").and_then(Json::as_object_mut))
    {
        driver.insert("informationUri".into(), Json::String(uri.into()));
    }
    match serde_json::to_string_pretty(&log) {
        Ok(mut out) => {
            out.push('\n');
            out
        }
        // Unreachable: every key above is a string.
        Err(e) => format!("{{\n  \"error\": {}\n}}\n", Json::String(e.to_string())),
    }
}

/// Where people learn about the tool.
/// The driver's `informationUri`: the package's `repository` from
/// Cargo.toml, when it is set (the field is optional in SARIF, so it is left
/// out rather than invented).
pub fn information_uri() -> Option<&'static str> {
    let repository = env!("CARGO_PKG_REPOSITORY");
    (!repository.is_empty()).then_some(repository)
}

/// The SARIF `level` of a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn rule(r: &RuleDoc) -> Json {
    let mut help_text = r.fix.clone();
    let mut markdown = String::new();
    if !r.why.is_empty() {
        markdown.push_str(&format!("**Why:** {}\n\n", r.why));
    }
    if !r.fix.is_empty() {
        markdown.push_str(&format!("**Fix:** {}\n\n", r.fix));
    }
    if !r.example.is_empty() {
        help_text.push_str(&format!("\n\nExample:\n{}", r.example));
        markdown.push_str(&format!("**Example:**\n\n```\n{}\n```\n", r.example.trim_end()));
    }
    let help_text = if help_text.trim().is_empty() { r.title.clone() } else { help_text };
    let markdown = if markdown.trim().is_empty() { r.title.clone() } else { markdown.trim_end().to_string() };
    let mut tags = r.tags.clone();
    tags.sort();
    tags.dedup();
    json!({
        "id": r.id,
        "name": camel_name(&r.id),
        "shortDescription": { "text": non_empty(&r.title, &r.id) },
        "fullDescription": { "text": non_empty(&r.why, &r.title) },
        "help": { "text": help_text, "markdown": markdown },
        "defaultConfiguration": { "level": level(r.severity) },
        "properties": { "tags": tags },
    })
}

fn non_empty(text: &str, fallback: &str) -> String {
    if text.trim().is_empty() { fallback.to_string() } else { text.to_string() }
}

/// `namespace-parity` → `NamespaceParity`: SARIF's `name` is meant to be an
/// identifier-like, human-readable name distinct from the opaque id.
fn camel_name(id: &str) -> String {
    id.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(c) => c.to_uppercase().chain(cs).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

fn result(f: &Finding, rule_index: Option<usize>) -> Json {
    let location = if f.file.is_empty() {
        json!({
            "logicalLocations": [{
                "name": f.env,
                "fullyQualifiedName": format!("env/{}", f.env),
                "kind": "resource",
            }],
            "message": { "text": format!("env {}", f.env) },
        })
    } else {
        json!({ "physicalLocation": physical(&f.file, f.line) })
    };
    let related: Vec<Json> = f
        .related
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.file.is_empty())
        .map(|(i, r)| {
            json!({
                "id": i,
                "physicalLocation": physical(&r.file, r.line),
                "message": { "text": related_text(r) },
            })
        })
        .collect();
    let mut out = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "message": { "text": f.message },
        "locations": [location],
        "partialFingerprints": { FINGERPRINT_KEY: fingerprint(f) },
        "properties": {
            "env": f.env,
            "kind": f.kind,
            "namespace": f.namespace,
            "name": f.name,
            "evidence": f.evidence,
        },
    });
    if let Some(obj) = out.as_object_mut() {
        if let Some(i) = rule_index {
            obj.insert("ruleIndex".into(), json!(i));
        }
        if !related.is_empty() {
            obj.insert("relatedLocations".into(), Json::Array(related));
        }
    }
    out
}

fn related_text(r: &Location) -> String {
    let object = match (r.kind.is_empty(), r.namespace.is_empty()) {
        (true, _) => return format!("env {}", r.env),
        (false, true) => format!("{} {}", r.kind, r.name),
        (false, false) => format!("{} {}/{}", r.kind, r.namespace, r.name),
    };
    format!("{object} in env {}", r.env)
}

fn physical(file: &str, line: u32) -> Json {
    let mut loc = json!({ "artifactLocation": { "uri": file_uri(file) } });
    if line > 0
        && let Some(obj) = loc.as_object_mut()
    {
        obj.insert("region".into(), json!({ "startLine": line }));
    }
    loc
}

fn run_error(e: &RunError) -> Json {
    let mut n = json!({
        "level": "error",
        "message": { "text": e.message },
        "descriptor": { "id": e.code },
    });
    if !e.file.is_empty()
        && let Some(obj) = n.as_object_mut()
    {
        let mut loc = physical(&e.file, e.line);
        if e.line > 0
            && e.column > 0
            && let Some(region) = loc.get_mut("region").and_then(Json::as_object_mut)
        {
            region.insert("startColumn".into(), json!(e.column));
        }
        obj.insert("locations".into(), json!([{ "physicalLocation": loc }]));
    }
    n
}

fn notice(n: &Notice, level: &str) -> Json {
    let mut out = json!({
        "level": level,
        "message": { "text": n.message },
        "descriptor": { "id": n.code },
    });
    if !n.file.is_empty()
        && let Some(obj) = out.as_object_mut()
    {
        obj.insert("locations".into(), json!([{ "physicalLocation": physical(&n.file, n.line) }]));
    }
    out
}

/// A file name as a URI reference: `\` becomes `/`, a relative path stays
/// relative, an absolute one becomes a `file://` URI, and every byte that
/// RFC 3986 does not allow in a path is percent-encoded.
pub fn file_uri(file: &str) -> String {
    let path = file.replace('\\', "/");
    let bytes = path.as_bytes();
    let is_drive = bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/';
    let (prefix, rest) = if path.starts_with('/') {
        ("file://", path.as_str())
    } else if is_drive {
        ("file:///", path.as_str())
    } else {
        ("", path.as_str())
    };
    let mut out = String::from(prefix);
    for (i, b) in rest.bytes().enumerate() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+')
            || matches!(b, b',' | b';' | b'=' | b'@')
            // A colon is fine after a drive letter, but in the first segment
            // of a relative reference it would read as a scheme.
            || (b == b':' && (is_drive && i == 1 || !prefix.is_empty()));
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A stable 64-bit FNV-1a hash (hex) of what identifies a finding across
/// runs: rule, env, kind, namespace and name. Not the line, so an edit above
/// the object does not make it a new alert.
pub fn fingerprint(f: &Finding) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [&f.rule, &f.env, &f.kind, &f.namespace, &f.name] {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

#[cfg(test)]
#[path = "sarif_tests.rs"]
mod tests;
