//! `--format policyreport`: findings as wgpolicyk8s.io/v1alpha2 PolicyReport
//! (namespaced objects) and ClusterPolicyReport (cluster-scoped objects and
//! env-level findings) objects, as a `List` that `kubectl apply -f` takes, so
//! cluster dashboards (Policy Reporter, Kyverno's UI) show them.
//!
//! One report per env and namespace (one cluster report per env). Every
//! rule is a policy; a finding is a `fail` (error) or `warn` (warning, info)
//! result naming its resource.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use crate::report::{Finding, Report, RuleDoc, Severity};

const API_VERSION: &str = "wgpolicyk8s.io/v1alpha2";

/// The PolicyReport `severity` of a finding.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "high",
        Severity::Warning => "medium",
        Severity::Info => "low",
    }
}

fn result(s: Severity) -> &'static str {
    match s {
        Severity::Error => "fail",
        Severity::Warning | Severity::Info => "warn",
    }
}

/// A report name from an env name, as a DNS-1123 label.
fn report_name(env: &str) -> String {
    let mut s: String =
        env.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    s = s.trim_matches('-').to_string();
    if s.is_empty() { "parity".into() } else { format!("parity-{}", &s[..s.len().min(50)]) }
}

/// Renders the findings as a `List` of (Cluster)PolicyReports. `time` is
/// the RFC 3339 time stamped on every result (seconds since the epoch).
pub fn render(report: &Report, rules: &[RuleDoc], epoch_seconds: u64) -> String {
    let category: BTreeMap<&str, &str> =
        rules.iter().map(|r| (r.id.as_str(), r.tags.first().map(String::as_str).unwrap_or("parity"))).collect();
    // (env, namespace) → findings; namespace "" means the cluster report.
    let mut groups: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        groups.entry((f.env.as_str(), f.namespace.as_str())).or_default().push(f);
    }
    let mut items = Vec::new();
    for ((env, ns), findings) in groups {
        let results: Vec<Json> = findings
            .iter()
            .map(|f| {
                let mut r = json!({
                    "policy": f.rule,
                    "rule": f.rule,
                    "result": result(f.severity),
                    "severity": severity(f.severity),
                    "message": f.message,
                    "source": "parity",
                    "category": category.get(f.rule.as_str()).copied().unwrap_or("parity"),
                    "scored": true,
                    "timestamp": {"seconds": epoch_seconds, "nanos": 0},
                    "properties": {"env": f.env},
                });
                if !f.kind.is_empty() {
                    r["resources"] = json!([{
                        "apiVersion": f.api_version,
                        "kind": f.kind,
                        "name": f.name,
                        "namespace": f.namespace,
                    }]);
                    if f.namespace.is_empty()
                        && let Some(res) = r["resources"][0].as_object_mut()
                    {
                        res.remove("namespace");
                    }
                }
                if !f.file.is_empty() && !f.file.starts_with("cluster:") {
                    r["properties"]["file"] =
                        json!(if f.line > 0 { format!("{}:{}", f.file, f.line) } else { f.file.clone() });
                }
                r
            })
            .collect();
        let fail = findings.iter().filter(|f| f.severity == Severity::Error).count();
        let warn = findings.len() - fail;
        let mut metadata = json!({
            "name": report_name(env),
            "labels": {"app.kubernetes.io/managed-by": "parity", "parity.dev/env": report_name(env)},
        });
        let kind = if ns.is_empty() {
            "ClusterPolicyReport"
        } else {
            metadata["namespace"] = json!(ns);
            "PolicyReport"
        };
        items.push(json!({
            "apiVersion": API_VERSION,
            "kind": kind,
            "metadata": metadata,
            "scope": {"kind": "Namespace", "name": ns},
            "summary": {"pass": 0, "fail": fail, "warn": warn, "error": 0, "skip": 0},
            "results": results,
        }));
        if ns.is_empty()
            && let Some(last) = items.last_mut().and_then(Json::as_object_mut)
        {
            last.remove("scope");
        }
    }
    let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
    let mut out = serde_json::to_string_pretty(&list).unwrap_or_else(|_| "{}".into());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_labels() {
        assert_eq!(report_name("Prod_EU"), "parity-prod-eu");
        assert_eq!(report_name(""), "parity");
    }
}
