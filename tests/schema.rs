//! Schema-aware checks end to end (issue 17): the exact findings of the
//! schema rules on a corpus of small manifests, compile-time path checking,
//! `explain-field`, `--kube-version`, and a differential test against the
//! reference validator (kubernetes-validate, the package the bundled schemas
//! come from).

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::{json, parity, parity_in, write_tree};
use serde_json::Value as Json;

const CORPUS: &str = "tests/fixtures/schema/corpus";

/// (rule, file name, line, message) of every schema-rule finding.
fn schema_findings(args: &[&str]) -> Vec<(String, String, u64, String)> {
    let run = parity(args);
    assert!(run.code == 0 || run.code == 1, "exit {}: {}", run.code, run.stderr);
    let report = json(&run);
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| ["schema-valid", "api-served", "crd-exists"].contains(&f["rule"].as_str().unwrap_or("")))
        .map(|f| {
            let file = f["file"].as_str().unwrap_or("").rsplit('/').next().unwrap_or("").to_string();
            (
                f["rule"].as_str().unwrap_or("").to_string(),
                file,
                f["line"].as_u64().unwrap_or(0),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn each_corpus_manifest_has_its_exact_finding() {
    let got = schema_findings(&["check", "--format", "json", "--kube-version", "1.33", CORPUS]);
    let want: Vec<(&str, &str, u64, &str)> = vec![
        (
            "api-served",
            "flowschema-v1beta2.yaml",
            1,
            "FlowSchema shop-batch uses flowcontrol.apiserver.k8s.io/v1beta2, which Kubernetes 1.33 does not serve; use flowcontrol.apiserver.k8s.io/v1",
        ),
        (
            "api-served",
            "ingress-extensions-v1beta1.yaml",
            1,
            "Ingress shop/shop uses extensions/v1beta1, which Kubernetes 1.33 does not serve; use networking.k8s.io/v1",
        ),
        (
            "api-served",
            "pdb-policy-v1beta1.yaml",
            1,
            "PodDisruptionBudget shop/web uses policy/v1beta1, which Kubernetes 1.33 does not serve; use policy/v1",
        ),
        (
            "schema-valid",
            "deployment-replica-typo.yaml",
            7,
            "Deployment shop/api is not valid for Kubernetes 1.33: spec.replica: unknown field `replica`; did you mean `replicas`?",
        ),
        (
            "schema-valid",
            "env-value-yaml11-no.yaml",
            20,
            "Deployment shop/worker is not valid for Kubernetes 1.33: spec.template.spec.containers[0].env[0].value: must be a string, not a boolean false",
        ),
        (
            "schema-valid",
            "job-missing-template.yaml",
            6,
            "Job shop/migrate is not valid for Kubernetes 1.33: spec: missing required field `template`",
        ),
        (
            "schema-valid",
            "pod-affinity-typo-block.yaml",
            10,
            "Pod shop/placed is not valid for Kubernetes 1.33: spec.affinityy: unknown field `affinityy`; did you mean `affinity`?",
        ),
        (
            "schema-valid",
            "pod-hostnetwork-typo.yaml",
            7,
            "Pod shop/probe is not valid for Kubernetes 1.33: spec.hostNetwrok: unknown field `hostNetwrok`; did you mean `hostNetwork`?",
        ),
        (
            "schema-valid",
            "probe-port-boolean.yaml",
            12,
            "Pod shop/checker is not valid for Kubernetes 1.33: spec.containers[0].livenessProbe.tcpSocket.port: must be an int-or-string, not a boolean true",
        ),
        (
            "schema-valid",
            "service-port-string.yaml",
            10,
            "Service shop/api is not valid for Kubernetes 1.33: spec.ports[0].port: must be an integer, not a string \"80\"",
        ),
        (
            "schema-valid",
            "statefulset-wrong-types.yaml",
            7,
            "StatefulSet shop/db is not valid for Kubernetes 1.33: spec.replicas: must be an integer, not a string \"3\"",
        ),
    ];
    let want: Vec<(String, String, u64, String)> =
        want.into_iter().map(|(r, f, l, m)| (r.to_string(), f.to_string(), l, m.to_string())).collect();
    assert_eq!(got, want);
}

#[test]
fn the_summary_names_the_envs_checked_against_the_newest_schema() {
    let run = parity(&["check", "--no-color", CORPUS]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("· Kubernetes 1.37 schemas for corpus (no version known) ·"), "{}", run.stdout);
    let run = parity(&["check", "--no-color", "--kube-version", "1.28", CORPUS]);
    assert!(!run.stdout.contains("no version known"), "{}", run.stdout);
    // 1.28 still serves flowcontrol v1beta2, not v1.
    let got = schema_findings(&["check", "--format", "json", "--kube-version", "v1.28.5", CORPUS]);
    let served: Vec<&str> = got.iter().filter(|f| f.0 == "api-served").map(|f| f.1.as_str()).collect();
    assert_eq!(served, ["flowschema-v1.yaml", "ingress-extensions-v1beta1.yaml", "pdb-policy-v1beta1.yaml"]);
    // A bad version stops the run before anything is checked.
    let bad = parity(&["check", "--kube-version", "latest", CORPUS]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("`latest` is not a Kubernetes version"), "{}", bad.stderr);
    assert!(bad.stderr.contains("--kube-version"), "{}", bad.stderr);
    assert!(!bad.stdout.contains("finding"), "nothing was checked: {}", bad.stdout);
    // Outside the bundled 1.25 to 1.37: said, with the schemas used.
    for (version, side, used) in [("1.24", "older", "1.25"), ("1.40", "newer", "1.37")] {
        let run = parity(&["check", "--format", "json", "--kube-version", version, CORPUS]);
        let warned: Vec<String> = json(&run)["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .filter(|w| w["code"] == "parity::schema::version")
            .map(|w| w["message"].as_str().unwrap_or("").to_string())
            .collect();
        assert_eq!(warned.len(), 1, "{warned:?}");
        assert!(
            warned[0].contains(&format!("runs Kubernetes {version}, {side} than the bundled schemas")),
            "{warned:?}"
        );
        assert!(warned[0].contains(&format!("checked with the {used} schemas")), "{warned:?}");
    }
    let run = parity(&["check", "--format", "json", "--kube-version", "1.30", CORPUS]);
    assert!(!run.stdout.contains("parity::schema::version"), "{}", run.stdout);
}

#[test]
fn api_version_parity_names_both_versions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fs = std::fs::read_to_string(format!("{CORPUS}/flowschema-v1beta2.yaml")).expect("fixture");
    let config = "[[env]]\nname = \"staging\"\nsource = \"staging\"\nversion = \"1.28\"\n\n[[env]]\nname = \"prod\"\nsource = \"prod\"\nversion = \"1.29\"\n";
    write_tree(dir.path(), &[("parity.toml", config), ("staging/fs.yaml", &fs), ("prod/fs.yaml", &fs)]);
    let run = parity_in(dir.path(), &["check", "--format", "json"], None, &[]);
    let report = json(&run);
    let msgs: Vec<(String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "api-version-parity" || f["rule"] == "api-served")
        .map(|f| (f["rule"].as_str().unwrap_or("").to_string(), f["message"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(
        msgs,
        [
            ("api-served".to_string(), "FlowSchema shop-batch uses flowcontrol.apiserver.k8s.io/v1beta2, which Kubernetes 1.29 does not serve; use flowcontrol.apiserver.k8s.io/v1".to_string()),
            ("api-version-parity".to_string(), "FlowSchema shop-batch is valid on staging (Kubernetes 1.28) but prod (Kubernetes 1.29) would reject it: flowcontrol.apiserver.k8s.io/v1beta2 is not served there; use flowcontrol.apiserver.k8s.io/v1".to_string()),
        ]
    );
}

#[test]
fn api_version_parity_finds_a_field_the_next_version_lacks_and_points_at_it() {
    // Container.resizePolicy is in 1.30's schema, not in 1.26's. The
    // objects are validated in 1.30 first; the 1.26 validation beside it
    // must not take over 1.30's (empty) problems for PodTemplateSpec, whose
    // body is the same in both but refers to a different PodSpec.
    let dir = tempfile::tempdir().expect("temp dir");
    let d = std::fs::read_to_string(format!("{CORPUS}/deployment-resize-policy.yaml")).expect("fixture");
    let config = "[[env]]\nname = \"staging\"\nsource = \"staging\"\nversion = \"1.30\"\n\n[[env]]\nname = \"prod\"\nsource = \"prod\"\nversion = \"1.26\"\n";
    write_tree(dir.path(), &[("parity.toml", config), ("staging/d.yaml", &d), ("prod/d.yaml", &d)]);
    let run = parity_in(dir.path(), &["check", "--format", "json"], None, &[]);
    let report = json(&run);
    let found: Vec<(String, String, u64, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "api-version-parity" || f["rule"] == "schema-valid")
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            (s("rule"), s("file"), f["line"].as_u64().unwrap_or(0), s("message"))
        })
        .collect();
    let field = "spec.template.spec.containers[0].resizePolicy: unknown field `resizePolicy`";
    assert_eq!(
        found,
        [
            (
                "api-version-parity".to_string(),
                "staging/d.yaml".to_string(),
                18,
                format!(
                    "Deployment shop/resized is valid on staging (Kubernetes 1.30) but prod (Kubernetes 1.26) would reject it: {field}"
                )
            ),
            (
                "schema-valid".to_string(),
                "prod/d.yaml".to_string(),
                18,
                format!("Deployment shop/resized is not valid for Kubernetes 1.26: {field}")
            ),
        ]
    );
}

#[test]
fn a_misspelt_kind_is_named_with_the_kind_meant_not_blamed_on_the_api_version() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: a, namespace: x}\n";
    write_tree(dir.path(), &[("dev/a.yaml", text)]);
    let path = dir.path().to_str().expect("utf-8 path");
    let got = schema_findings(&["check", "--format", "json", "--kube-version", "1.33", path]);
    assert_eq!(
        got,
        [(
            "api-served".to_string(),
            "a.yaml".to_string(),
            1,
            "Deploymnet x/a uses apps/v1, which has no kind `Deploymnet` in Kubernetes 1.33; did you mean `Deployment`?"
                .to_string()
        )]
    );
}

#[test]
fn custom_resources_are_checked_against_their_crd() {
    let dir = tempfile::tempdir().expect("temp dir");
    let crd = std::fs::read_to_string("rules/tests/crd-exists/fires/prod/crd.yaml").expect("crd");
    let res = std::fs::read_to_string("rules/tests/crd-exists/fires/prod/resources.yaml").expect("resources");
    write_tree(dir.path(), &[("prod/crd.yaml", &crd), ("prod/resources.yaml", &res)]);
    let run = parity_in(dir.path(), &["check", "--format", "json", "prod"], None, &[]);
    let report = json(&run);
    let got: Vec<(u64, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "crd-exists")
        .map(|f| (f["line"].as_u64().unwrap_or(0), f["message"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(
        got,
        [
            (1, "Certificate web/web-tls: no CustomResourceDefinition in this env defines kind Certificate in group cert-manager.io; if another tool or chart installs it, give it with --crd FILE or parity.toml `crds`".to_string()),
            (16, "Widget web/bad: spec.colour: unknown field `colour`; did you mean `color`?; spec.size: must be of type integer".to_string()),
        ]
    );
}

#[test]
fn paths_are_checked_against_the_schema_at_compile_time() {
    let run = parity(&["compile", "--explain", "no workload where podspec.hostNetwrok = true"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("parity::compile::unknown-field"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `hostNetwork`?"), "{}", run.stderr);
    let run = parity(&["compile", "--explain", "every deployment has spec.replica > 1"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("did you mean `replicas`?"), "{}", run.stderr);
    let run = parity(&["compile", "--explain", "every workload has every container with resources.limts.cpu"]);
    assert!(run.stderr.contains("did you mean `limits`?"), "{}", run.stderr);
    // Free keys, `object`, custom nouns and computed keys are not checked.
    for ok in [
        "every deployment has metadata.labels.team",
        "every configmap has data.anything",
        "every object has spec.whatever",
        "every deployment has spec.template.spec.nodeSelector.\"kubernetes.io/os\"",
        "every node has quantity(status.allocatable[\"nvidia.com/gpu\"]) > 0",
        "every certificate has spec.secretName",
        "every customresourcedefinition has spec.versions[*].schema.openAPIV3Schema.properties.spec",
    ] {
        let run = parity(&["compile", "--explain", ok]);
        assert_eq!(run.code, 0, "{ok}: {}", run.stderr);
    }
}

#[test]
fn explain_field_prints_type_description_and_fields() {
    let run = parity(&["explain-field", "deployment.spec.replicas", "--kube-version", "1.30"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("Deployment.spec.replicas (apps/v1, Kubernetes 1.30)\ntype: integer\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Number of desired pods."), "{}", run.stdout);
    let run = parity(&["explain-field", "pod.spec.containers.resources"]);
    assert!(run.stdout.contains("  limits (map of quantity)\n"), "{}", run.stdout);
    let run = parity(&["explain-field", "deployment.spec.replica"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("did you mean `replicas`?"), "{}", run.stderr);
    let run = parity(&[
        "explain-field",
        "flowschema.spec",
        "--kube-version",
        "1.33",
        "--api-version",
        "flowcontrol.apiserver.k8s.io/v1beta2",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("does not serve"), "{}", run.stderr);
    // The apiVersions named are the ones that version serves (1.30: v1 and
    // v1beta3), not those of every bundled version.
    let run = parity(&[
        "explain-field",
        "flowschema.spec",
        "--kube-version",
        "1.30",
        "--api-version",
        "flowcontrol.apiserver.k8s.io/v1beta2",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "Kubernetes 1.30 does not serve `flowschema` as flowcontrol.apiserver.k8s.io/v1beta2; it is served as flowcontrol.apiserver.k8s.io/v1, flowcontrol.apiserver.k8s.io/v1beta3"
        ),
        "{}",
        run.stderr
    );
}

// ------------------------------------------------------------ differential

/// Objects where parity's verdict deliberately differs from the reference
/// validator's, with the reason.
const DELIBERATE: &[(&str, &str)] = &[(
    "node-partial-status.yaml",
    "parity does not check `status` (the API server ignores it on writes); the reference validator requires \
     every nodeInfo field",
)];

fn validator() -> Option<String> {
    let exe = std::env::var("PARITY_KUBERNETES_VALIDATE").unwrap_or_else(|_| "kubernetes-validate".into());
    match Command::new(&exe).arg("--version").output() {
        Ok(o) if o.status.success() => Some(exe),
        _ => None,
    }
}

/// The files the reference validator rejects (or has no schema for) at a
/// version, and the files it accepts.
fn reference_verdicts(exe: &str, version: &str, files: &[String]) -> (BTreeSet<String>, BTreeSet<String>) {
    let out =
        Command::new(exe).args(["--strict", "-k", version]).args(files).output().expect("kubernetes-validate runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let (mut bad, mut good) = (BTreeSet::new(), BTreeSet::new());
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(level), Some(file)) = (words.next(), words.next()) else { continue };
        let name = file.rsplit('/').next().unwrap_or(file).to_string();
        match level {
            "ERROR" => {
                bad.insert(name);
            }
            "WARN" if line.contains("Couldn't find schema") => {
                bad.insert(name);
            }
            "INFO" if line.contains(" passed ") => {
                good.insert(name);
            }
            _ => {}
        }
    }
    (bad, good)
}

fn parity_rejects(version: &str) -> BTreeSet<String> {
    let run = parity(&[
        "check",
        "--format",
        "json",
        "--kube-version",
        version,
        "--rule",
        "every object has schema-accepts(it, env.version)",
        CORPUS,
    ]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    json(&run)["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["file"].as_str().unwrap_or("").rsplit('/').next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn same_verdicts_as_the_reference_validator() {
    let Some(exe) = validator() else {
        // Fails unless PARITY_SKIP_EXTERNAL_TOOLS=1 (then it says it skipped).
        common::tool_missing("kubernetes-validate (pip install kubernetes-validate==1.37.0)");
        return;
    };
    let mut files: Vec<String> = std::fs::read_dir(CORPUS)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path().to_string_lossy().to_string()))
        .filter(|p| p.ends_with(".yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 15, "the corpus has {} files", files.len());
    for version in ["1.28", "1.33"] {
        let (mut reference, good) = reference_verdicts(&exe, version, &files);
        assert_eq!(reference.len() + good.len(), files.len(), "the validator judged every file at {version}");
        let mut ours = parity_rejects(version);
        for (file, _why) in DELIBERATE {
            assert!(reference.remove(*file), "{file} is still a deliberate difference at {version}");
            assert!(!ours.remove(*file), "{file}: parity accepts it at {version}");
        }
        assert_eq!(ours, reference, "the files rejected at Kubernetes {version}");
    }
}

#[test]
fn the_json_summary_says_which_envs_used_the_newest_schema() {
    let run = parity(&["check", "--format", "json", CORPUS]);
    let report: Json = json(&run);
    assert_eq!(report["summary"]["schema"], serde_json::json!({"version": "1.37", "envs": ["corpus"]}));
}
