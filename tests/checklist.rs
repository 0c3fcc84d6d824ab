//! End-to-end tests of the environment-parity checklist rules (issue 21):
//! the messages name the concrete things, and an env's Kubernetes version
//! comes from its snapshot or from `version` in parity.toml.

mod common;

use std::path::Path;

use common::{json, parity, parity_in};
use serde_json::Value as Json;

/// The messages of one rule's findings, in report order.
fn messages(report: &Json, rule: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| f["message"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Checks a rule test case's env folders with the standard library.
fn check_case(case: &str, envs: &[&str]) -> Json {
    let mut args = vec!["check".to_string(), "--format".into(), "json".into()];
    for env in envs {
        args.push("--env".into());
        args.push(format!("{env}=rules/tests/{case}/{env}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = parity(&args);
    // Warnings alone exit 0 (the default `--fail-on error`); nothing here is a run error.
    assert!(run.code < 2, "{}\n{}", run.stdout, run.stderr);
    json(&run)
}

fn write(dir: &Path, file: &str, text: &str) {
    let path = dir.join(file);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn snapshot(context: &str, version: &str) -> String {
    format!(
        r#"{{"apiVersion": "parity.dev/v1", "kind": "Snapshot", "context": "{context}", "serverVersion": "{version}",
  "time": "2026-11-01T00:00:00Z", "objects": [], "errors": []}}"#
    )
}

#[test]
fn deploy_method_parity_names_both_methods() {
    let report = check_case("deploy-method-parity/fires", &["dev", "staging", "prod"]);
    assert_eq!(
        messages(&report, "deploy-method-parity"),
        [
            "Deployment shop/web is applied with kubectl in dev but managed by Argo CD in prod",
            "Service shop/web is not marked by any known deploy tool in staging but managed by Helm in prod",
            "ConfigMap shop/settings is managed by Helm in staging but applied with kubectl in prod",
        ]
    );
}

#[test]
fn extended_resource_parity_names_resources_and_workloads() {
    let report = check_case("extended-resource-parity/fires", &["staging", "prod"]);
    assert_eq!(
        messages(&report, "extended-resource-parity"),
        ["env staging has no node that offers amd.com/gpu (needed by Deployment ml/train, Job ml/bench); \
          xilinx.com/fpga-xilinx_u250_gen3x16_xdma_shell_4_1 (needed by Job ml/bench)"]
    );
}

#[test]
fn ingress_tls_and_certificate_messages() {
    let report = check_case("ingress-tls-secret-exists/fires", &["dev", "prod"]);
    assert_eq!(
        messages(&report, "ingress-tls-secret-exists"),
        [
            "Ingress shop/web in env dev uses TLS secret api-tls, shop-tls, which is neither a Secret nor the secretName of a \
             cert-manager Certificate in its namespace",
            "Ingress shop/web in env prod uses TLS secret shop-tls, which is neither a Secret nor the secretName of a \
             cert-manager Certificate in its namespace",
        ]
    );
    let report = check_case("certificate-parity/fires", &["dev", "staging", "prod"]);
    assert_eq!(
        messages(&report, "certificate-parity"),
        ["Certificate shop/api exists in prod (the reference env) but not in dev, staging"]
    );
}

#[test]
fn kubectl_skew_reads_versions_from_parity_toml_and_snapshots() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "parity.toml",
        r#"
[[env]]
name = "dev"
source = "manifests/dev"
version = "1.28"

[[env]]
name = "staging"
source = "manifests/staging"
version = "v1.30.4"

[[env]]
name = "prod"
source = "snapshots/prod.json"
version = "1.30"
"#,
    );
    write(dir.path(), "manifests/dev/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");
    write(dir.path(), "manifests/staging/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");
    write(dir.path(), "snapshots/prod.json", &snapshot("prod", "v1.31.2"));
    let run = parity_in(dir.path(), &["check", "--format", "json"], None, &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let report = json(&run);
    // prod's snapshot (v1.31.2) wins over its declared 1.30, with a warning.
    assert_eq!(
        messages(&report, "kubectl-skew"),
        ["envs run Kubernetes v1.28 (dev) to v1.31 (prod), more than one minor release apart: kubectl v1.27 to \
          v1.29 works with dev, v1.30 to v1.32 with prod, and no kubectl release with every env"]
    );
    let finding = report["findings"].as_array().expect("findings").iter().find(|f| f["rule"] == "kubectl-skew");
    assert_eq!(finding.map(|f| f["env"].clone()), Some(Json::from("dev")));
    let warnings = report["warnings"].as_array().expect("warnings");
    assert!(
        warnings.iter().any(|w| w["code"] == "parity::load::config"
            && w["message"]
                == "env `prod` declares `version = \"1.30\"`, but its snapshot reports v1.31.2; the snapshot's version is used"),
        "{warnings:?}"
    );

    // Two minor releases apart: only the kubectl in between works.
    write(dir.path(), "snapshots/prod.json", &snapshot("prod", "v1.30.1"));
    write(
        dir.path(),
        "parity.toml",
        &std::fs::read_to_string(dir.path().join("parity.toml")).expect("read").replace("\"1.28\"", "\"1.29\""),
    );
    let report = json(&parity_in(dir.path(), &["check", "--format", "json"], None, &[]));
    assert_eq!(messages(&report, "kubectl-skew"), Vec::<String>::new(), "v1.29 to v1.30 is one minor release");
    write(dir.path(), "snapshots/prod.json", &snapshot("prod", "v1.31.0"));
    let report = json(&parity_in(dir.path(), &["check", "--format", "json"], None, &[]));
    assert_eq!(
        messages(&report, "kubectl-skew"),
        ["envs run Kubernetes v1.29 (dev) to v1.31 (prod), more than one minor release apart: kubectl v1.28 to \
          v1.30 works with dev, v1.30 to v1.32 with prod, and only v1.30 with every env"]
    );
}

#[test]
fn a_bad_env_version_in_parity_toml_is_an_error_with_its_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "parity.toml", "[[env]]\nname = \"dev\"\nsource = \"dev\"\nversion = \"latest\"\n");
    write(dir.path(), "dev/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");
    let run = parity_in(dir.path(), &["check", "--format", "json"], None, &[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let errors = json(&run)["errors"].clone();
    let e = &errors[0];
    assert_eq!(
        (e["code"].as_str(), e["file"].as_str()),
        (Some("parity::load::config"), Some("parity.toml")),
        "{errors}"
    );
    assert_eq!((e["line"].as_u64(), e["column"].as_u64()), (Some(4), Some(11)), "{errors}");
    assert_eq!(e["message"], "env `dev` has `version = \"latest\"`, which is not a Kubernetes version like \"1.30\"");
}
