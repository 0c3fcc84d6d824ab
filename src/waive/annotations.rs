//! `parity.dev/ignore` annotations: an object waives named rules for itself,
//! with a reason. Applied by the engine while it evaluates (it has the
//! objects); a waiver without a reason is not applied and is itself an
//! error finding.

use serde_json::Value as Json;

use crate::report::{Finding, Severity};
use crate::world::Object;

/// The annotation that waives named rules on one object.
pub const IGNORE_ANNOTATION: &str = "parity.dev/ignore";
/// The annotation that must give the reason for it.
pub const IGNORE_REASON_ANNOTATION: &str = "parity.dev/ignore-reason";
/// Rule id of the finding for an ignore annotation without a reason.
pub const IGNORE_WITHOUT_REASON: &str = "parity/ignore-without-reason";

/// What an object's annotations say of one rule.
pub enum Waiver {
    None,
    Reason(String),
    NoReason,
}

/// Whether the object's annotations waive this rule, and with what reason.
pub fn waiver(o: &Object, rule: &str) -> Waiver {
    let Some(ann) = o.value().get("metadata").and_then(|m| m.get("annotations")) else { return Waiver::None };
    let Some(list) = ann.str_field(IGNORE_ANNOTATION) else { return Waiver::None };
    if !list.split(',').map(str::trim).any(|r| r == rule || r == "*") {
        return Waiver::None;
    }
    match ann.str_field(IGNORE_REASON_ANNOTATION).map(str::trim) {
        Some(reason) if !reason.is_empty() => Waiver::Reason(reason.to_string()),
        _ => Waiver::NoReason,
    }
}

/// The error finding for a waiver of `f` that gives no reason.
pub fn without_reason(f: &Finding, o: &Object) -> Finding {
    let mut meta = f.clone();
    meta.rule = IGNORE_WITHOUT_REASON.into();
    meta.severity = Severity::Error;
    meta.message = format!(
        "{} {} waives rules with `{IGNORE_ANNOTATION}` but gives no `{IGNORE_REASON_ANNOTATION}`; the waiver is not applied",
        o.kind, o.name
    );
    meta.evidence = Json::Array(Vec::new());
    meta.related.clear();
    meta
}
