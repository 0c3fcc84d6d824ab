//! Tests for the SARIF renderer: structure, URIs, fingerprints.

use super::{camel_name, file_uri, fingerprint, render};
use crate::render::test_fixtures;
use crate::report::{RuleDoc, Severity};
use serde_json::Value as Json;

fn docs() -> Vec<RuleDoc> {
    let doc = |id: &str, severity| RuleDoc {
        id: id.into(),
        severity,
        title: format!("{id} title"),
        why: format!("{id} why"),
        fix: format!("{id} fix"),
        example: String::new(),
        tags: vec!["network".into()],
    };
    vec![
        doc("namespace-default-deny", Severity::Error),
        doc("replicas-match", Severity::Warning),
        doc("quiet", Severity::Info),
    ]
}

fn sarif() -> Json {
    serde_json::from_str(&render(&test_fixtures::full(), &docs())).expect("SARIF is JSON")
}

#[test]
fn every_rule_is_described_even_without_findings() {
    let log = sarif();
    assert_eq!(log["version"], "2.1.0");
    let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["namespace-default-deny", "replicas-match", "quiet"]);
    assert_eq!(rules[2]["defaultConfiguration"]["level"], "note");
    assert_eq!(rules[1]["name"], "ReplicasMatch");
    assert_eq!(rules[0]["fullDescription"]["text"], "namespace-default-deny why");
}

#[test]
fn results_point_at_files_env_level_at_envs() {
    let log = sarif();
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    for r in results {
        let rule = r["ruleId"].as_str().expect("ruleId");
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(log["runs"][0]["tool"]["driver"]["rules"][index]["id"], rule);
        assert_eq!(r["partialFingerprints"]["parity/v1"].as_str().map(str::len), Some(16));
    }
    let env_level = results.iter().find(|r| r["properties"]["env"] == "dev").expect("env-level result");
    assert!(env_level["locations"][0].get("physicalLocation").is_none());
    assert_eq!(env_level["locations"][0]["logicalLocations"][0]["name"], "dev");
    assert_eq!(env_level["relatedLocations"][0]["message"]["text"], "Namespace payments in env dev");
    let drift = results.iter().find(|r| r["ruleId"] == "replicas-match").expect("drift result");
    assert_eq!(drift["level"], "warning");
    assert_eq!(drift["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "manifests/prod/svc.yaml");
    assert_eq!(drift["locations"][0]["physicalLocation"]["region"]["startLine"], 4);
    assert_eq!(drift["relatedLocations"][0]["message"]["text"], "Service web/api in env staging");
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(invocation["toolExecutionNotifications"].as_array().map(Vec::len), Some(3));
}

#[test]
fn uris_are_relative_references_or_file_uris() {
    assert_eq!(file_uri("manifests/prod/a.yaml"), "manifests/prod/a.yaml");
    assert_eq!(file_uri("manifests\\prod\\a b.yaml"), "manifests/prod/a%20b.yaml");
    assert_eq!(file_uri("/abs/x#1.yaml"), "file:///abs/x%231.yaml");
    assert_eq!(file_uri("C:\\m\\a.yaml"), "file:///C:/m/a.yaml");
    assert_eq!(file_uri("a:b/c.yaml"), "a%3Ab/c.yaml");
    assert_eq!(file_uri("<stdin>"), "%3Cstdin%3E");
    assert_eq!(file_uri("ü.yaml"), "%C3%BC.yaml");
}

#[test]
fn fingerprints_ignore_line_and_message() {
    let report = test_fixtures::small();
    let mut moved = report.findings[0].clone();
    moved.line += 10;
    moved.message.push_str(" (edited)");
    assert_eq!(fingerprint(&report.findings[0]), fingerprint(&moved));
    moved.env = "staging".into();
    assert_ne!(fingerprint(&report.findings[0]), fingerprint(&moved));
    // Pinned (checked against an independent FNV-1a), so a change to the hash (which would re-open every alert) is deliberate.
    assert_eq!(fingerprint(&report.findings[0]), "fe8bb0de041bab6e");
}

#[test]
fn names_are_camel_case() {
    assert_eq!(camel_name("no-privileged-containers"), "NoPrivilegedContainers");
    assert_eq!(camel_name("cli-1"), "Cli1");
}
