//! Reports shared by the renderer tests.

use crate::report::{Finding, Location, Notice, Report, RunError, Severity, Summary};
use serde_json::json;

fn loc(env: &str, kind: &str, ns: &str, name: &str, file: &str, line: u32) -> Location {
    Location {
        env: env.into(),
        api_version: if kind.is_empty() { "" } else { "v1" }.into(),
        kind: kind.into(),
        namespace: ns.into(),
        name: name.into(),
        file: file.into(),
        line,
    }
}

fn finding(rule: &str, severity: Severity, at: Location, message: &str) -> Finding {
    Finding {
        rule: rule.into(),
        severity,
        env: at.env,
        api_version: at.api_version,
        kind: at.kind,
        namespace: at.namespace,
        name: at.name,
        file: at.file,
        line: at.line,
        message: message.into(),
        evidence: json!([]),
        related: Vec::new(),
        frame: Vec::new(),
        unsettled: 0,
    }
}

fn summary(envs: &[&str], objects: usize, files: usize, rules: usize) -> Summary {
    Summary {
        rules,
        envs: envs.iter().map(|e| e.to_string()).collect(),
        objects,
        files,
        elapsed_ms: 15,
        ..Summary::default()
    }
}

/// Findings of two rules (one env-level, one with a related location),
/// plus run errors, warnings and skipped files.
pub fn full() -> Report {
    let mut deny = finding(
        "namespace-default-deny",
        Severity::Error,
        loc("prod", "Namespace", "", "payments", "manifests/prod/ns.yaml", 12),
        "namespace payments has no default-deny NetworkPolicy",
    );
    deny.evidence = json!([{ "env": "prod", "path": "", "value": "payments" }]);
    let mut env_level = finding(
        "namespace-default-deny",
        Severity::Error,
        loc("dev", "", "", "", "", 0),
        "env dev has no NetworkPolicy at all",
    );
    env_level.related = vec![loc("dev", "Namespace", "", "payments", "manifests/dev/ns.yaml", 1)];
    let mut drift = finding(
        "replicas-match",
        Severity::Warning,
        loc("prod", "Service", "web", "api", "manifests/prod/svc.yaml", 4),
        "ports differ from staging",
    );
    drift.evidence = json!([{ "env": "staging", "expected": [80, 443], "path": "port-set(it)", "value": [80] }]);
    drift.related = vec![loc("staging", "Service", "web", "api", "manifests/staging/svc.yaml", 4)];
    let mut report = Report {
        findings: vec![drift, deny, env_level],
        summary: summary(&["dev", "staging", "prod"], 42, 12, 5),
        errors: vec![RunError {
            code: "parity::load::yaml".into(),
            file: "manifests/prod/broken.yaml".into(),
            line: 3,
            column: 7,
            message: "mapping values are not allowed here".into(),
        }],
        skipped: vec![Notice {
            code: "parity::load::not-kubernetes".into(),
            file: "manifests/prod/values.yaml".into(),
            line: 1,
            message: "no apiVersion or kind".into(),
        }],
        warnings: vec![Notice {
            code: "parity::load::yaml11-bool".into(),
            file: "manifests/dev/cm.yaml".into(),
            line: 8,
            message: "`yes` is a string in YAML 1.2, a boolean in 1.1".into(),
        }],
        waived: vec![],
        allow_skipped: false,
    };
    report.finish();
    report
}

/// A run that loaded nothing at all.
pub fn empty() -> Report {
    let mut report = Report { summary: summary(&[], 0, 0, 5), ..Report::default() };
    report.finish();
    report
}

/// A run that loaded objects and found nothing wrong.
pub fn clean() -> Report {
    let mut report = Report { summary: summary(&["dev", "prod"], 42, 12, 5), ..Report::default() };
    report.finish();
    report
}

/// One finding, nothing else: small enough for a JSON snapshot.
pub fn small() -> Report {
    let mut f = finding(
        "replicas-match",
        Severity::Warning,
        loc("prod", "Deployment", "web", "api", "manifests/prod/api.yaml", 1),
        "replicas differ: prod 3, staging 1",
    );
    f.api_version = "apps/v1".into();
    f.evidence = json!([{ "env": "prod", "expected": 1, "path": "spec.replicas", "value": 3 }]);
    let mut related = loc("staging", "Deployment", "web", "api", "manifests/staging/api.yaml", 1);
    related.api_version = "apps/v1".into();
    f.related = vec![related];
    let mut report = Report { findings: vec![f], summary: summary(&["prod", "staging"], 2, 2, 1), ..Report::default() };
    report.finish();
    report
}
