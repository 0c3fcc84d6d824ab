//! End-to-end tests: run the real `parity` binary on fixture trees and
//! assert on its JSON output, its text and its exit codes.

mod common;

use common::{json, keys, parity, parity_with};
use serde_json::Value as Json;

#[test]
fn example_tree_finds_the_planted_drift() {
    let run = parity(&["check", "--format", "json", "examples/manifests"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    let found = keys(&report);
    for expected in [
        "gpu-node-parity staging",
        "extended-resource-parity staging",
        "kubelet-version-parity dev",
        "namespace-default-deny staging Namespace monitoring",
        "namespace-parity prod Namespace monitoring",
        "service-port-parity staging Service web/frontend",
        "image-promotion prod Deployment web/frontend",
        "container-memory-limits prod Deployment monitoring/prometheus",
        "no-privileged-containers dev Deployment payments/payments-api",
        "no-serviceaccount-cluster-admin dev ClusterRoleBinding ci-deployer",
        "env-node-selector dev Deployment web/frontend",
    ] {
        assert!(found.iter().any(|f| f == expected), "missing {expected:?} in {found:#?}");
    }
    // Every finding carries the documented fields.
    for f in report["findings"].as_array().into_iter().flatten() {
        for key in [
            "rule",
            "severity",
            "env",
            "apiVersion",
            "kind",
            "namespace",
            "name",
            "file",
            "line",
            "message",
            "evidence",
        ] {
            assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
        }
        if !f["kind"].as_str().unwrap_or("").is_empty() {
            assert!(f["line"].as_u64().unwrap_or(0) > 0, "object finding without a line: {f}");
        }
    }
    // The half-rendered chart is valid YAML: checked as written, with a
    // warning that it holds Helm syntax, never skipped or silently passed.
    assert_eq!(report["skipped"], serde_json::json!([]));
    let warnings = report["warnings"].as_array().expect("warnings list");
    assert!(
        warnings.iter().any(|w| w["code"] == "parity::load::helm-syntax"
            && w["file"].as_str().is_some_and(|f| f.ends_with("legacy-chart.yaml"))),
        "{warnings:?}"
    );
    assert!(keys(&report).contains(&"no-latest-images prod Deployment web/status-page".to_string()));
    assert_eq!(report["summary"]["envs"], serde_json::json!(["dev", "staging", "prod"]));
}

#[test]
fn human_output_groups_by_rule_with_file_and_line() {
    let run = parity(&[
        "check",
        "--rule",
        "every deployment has every container with resources.limits.memory",
        "tests/fixtures/drift",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.starts_with("error[cli-1] 1 finding\n"), "{}", run.stdout);
    // The finding points at the container's line in the prod file.
    assert!(run.stdout.contains("tests/fixtures/drift/prod/app.yaml:"), "{}", run.stdout);
    assert!(run.stdout.contains("prod  Deployment shop/cart"), "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "1 finding (1 error) in 1 of 1 rule · 2 envs (dev → prod; reference prod) · 5 objects from 2 files"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn exit_codes_clean_findings_and_fail_on() {
    let clean = parity(&["check", "--rule", "every namespace has metadata.name exists", "tests/fixtures/drift"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    assert!(clean.stdout.contains("no findings"), "{}", clean.stdout);
    let rules_dir = tempfile::tempdir().expect("temp dir");
    let file = rules_dir.path().join("warn.parity");
    std::fs::write(
        &file,
        "rule ns-parity {\n  every namespace in reference env exists in every env\n  severity: warning\n}\n",
    )
    .expect("write");
    let path = file.to_string_lossy().to_string();
    let warn = parity(&["check", &path, "tests/fixtures/drift"]);
    assert_eq!(warn.code, 0, "a warning does not fail by default: {}", warn.stdout);
    let strict = parity(&["check", "--fail-on", "warning", &path, "tests/fixtures/drift"]);
    assert_eq!(strict.code, 1, "{}", strict.stdout);
    assert!(strict.stdout.contains("missing in dev"), "{}", strict.stdout);
}

#[test]
fn stdin_is_an_env() {
    let yaml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/drift/prod/app.yaml"))
        .expect("fixture");
    let run = parity_with(
        &[
            "check",
            "--format",
            "json",
            "--rule",
            "every deployment has every container with resources.limits.memory",
            "-",
        ],
        Some(&yaml),
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(keys(&report), ["cli-1 stdin Deployment shop/cart"]);
    assert_eq!(report["findings"][0]["file"], "<stdin>");
    // The line of the container that lacks the limit (20), not the object's start (11).
    assert_eq!(report["findings"][0]["line"], 20, "{}", report["findings"][0]);
}

#[test]
fn list_file_is_unwrapped_with_item_lines() {
    let run = parity(&[
        "check",
        "--format",
        "json",
        "--rule",
        "every deployment has every container with resources.limits.memory",
        "tests/fixtures/list.json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(keys(&report), ["cli-1 list Deployment shop/cart"]);
    assert_eq!(report["summary"]["objects"], 2);
    let line = report["findings"][0]["line"].as_u64().unwrap_or(0);
    assert!((10..=15).contains(&line), "the item starts at line 10 of list.json, got {line}");
}

#[test]
fn explicit_envs() {
    let run = parity(&[
        "check",
        "--format",
        "json",
        "--rule",
        "every namespace in env production exists in every env",
        "--env",
        "development=tests/fixtures/drift/dev",
        "--env",
        "production=tests/fixtures/drift/prod",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(keys(&report), ["cli-1 production Namespace billing"]);
    assert_eq!(report["summary"]["envs"], serde_json::json!(["development", "production"]));
}

#[test]
fn parity_toml_carves_envs_out_of_one_cluster_by_namespace() {
    let run = parity(&[
        "check",
        "--format",
        "json",
        "--config",
        "tests/fixtures/carved/parity.toml",
        "--rule",
        "every namespace in reference env exists in every env",
        "--rule",
        "every service not in reference env with counterpart in reference env as ref has port-set(it) same set as port-set(ref)",
        "--rule",
        "every env tagged prod has some namespace",
    ]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let report = json(&run);
    // payments pairs with payments across the prefixes; search exists only in prod.
    assert_eq!(keys(&report), ["cli-1 prod Namespace prod-search", "cli-2 dev Service dev-payments/api"]);
    assert_eq!(report["summary"]["envs"], serde_json::json!(["dev", "prod"]));
}

#[test]
fn helm_template_is_skipped_with_the_reason() {
    let run = parity(&[
        "check",
        "--format",
        "json",
        "--rule",
        "every namespace has metadata.name exists",
        "tests/fixtures/helm",
    ]);
    assert_eq!(run.code, 2, "a skipped file is not checked: the run is incomplete: {}", run.stderr);
    let report = json(&run);
    let skipped = report["skipped"].as_array().expect("skipped list");
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(skipped[0]["file"].as_str().unwrap_or("").ends_with("chart.yaml"));
    assert!(skipped[0]["message"].as_str().unwrap_or("").contains("Helm template"));
    assert_eq!(report["summary"]["skipped"], 1);
    // Accepted on purpose: the flag, or parity.toml `allow-skipped = true`.
    let rule = "every namespace has metadata.name exists";
    let allowed = parity(&["check", "--allow-skipped", "--rule", rule, "tests/fixtures/helm"]);
    assert_eq!(allowed.code, 0, "{}", allowed.stdout);
    assert!(allowed.stdout.contains(" · 1 skipped (not checked) · "), "{}", allowed.stdout);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("parity.toml");
    std::fs::write(&config, "allow-skipped = true\n").expect("write");
    let cfg = config.to_string_lossy();
    let by_config = parity(&["check", "--config", &cfg, "--rule", rule, "tests/fixtures/helm"]);
    assert_eq!(by_config.code, 0, "{}{}", by_config.stdout, by_config.stderr);
}

#[test]
fn a_bad_file_is_an_error_but_good_files_are_still_checked() {
    let run = parity(&[
        "check",
        "--format",
        "json",
        "--rule",
        "every namespace in reference env exists in every env",
        "tests/fixtures/broken",
    ]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    let report = json(&run);
    assert_eq!(keys(&report), ["cli-1 prod Namespace billing"]);
    let errors = report["errors"].as_array().expect("errors list");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["file"], "tests/fixtures/broken/prod/bad.yaml");
    assert_eq!(errors[0]["line"], 5);
    assert!(errors[0]["message"].as_str().unwrap_or("").contains("duplicate key `name`"), "{errors:?}");
}

#[test]
fn rules_that_do_not_compile_exit_2_with_a_positioned_diagnostic() {
    let run = parity(&["check", "--rule", "every nodez has spec exists", "tests/fixtures/drift"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown noun `nodez`"), "{}", run.stderr);
    assert!(run.stderr.contains("--rule 1:1:7"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `node`?"), "{}", run.stderr);
}

#[test]
fn output_is_identical_for_any_thread_count() {
    let strip = |s: &str| -> String {
        let mut v: Json = serde_json::from_str(s).expect("json");
        v["summary"]["elapsed_ms"] = Json::Null;
        serde_json::to_string_pretty(&v).expect("json")
    };
    let one = parity_with(&["check", "--format", "json", "examples/manifests"], None, &[("RAYON_NUM_THREADS", "1")]);
    let two = parity_with(&["check", "--format", "json", "examples/manifests"], None, &[("RAYON_NUM_THREADS", "2")]);
    assert_eq!(one.code, two.code);
    assert!(!one.stdout.is_empty());
    assert_eq!(strip(&one.stdout), strip(&two.stdout));
    let text = |threads: &str| {
        let r = parity_with(&["check", "examples/manifests"], None, &[("RAYON_NUM_THREADS", threads)]);
        r.stdout.rsplit_once(" · ").map(|(head, _)| head.to_string()).unwrap_or(r.stdout)
    };
    assert_eq!(text("1"), text("2"));
}

#[test]
fn compile_dump_prints_bytecode() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("r.parity");
    std::fs::write(&file, "rule gpu { every env with gpu-workload has nvidia.com/gpu node }\n").expect("write");
    let run = parity(&["compile", "--dump", &file.to_string_lossy()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("rule gpu (error)\n"), "{}", run.stdout);
    assert!(run.stdout.contains("IterStart"), "{}", run.stdout);
    let plain = parity(&["compile", &file.to_string_lossy()]);
    assert_eq!(plain.stdout, "1 rules compiled from 1 files\n");
}

#[test]
fn standard_library_explain_and_rules() {
    let rules = parity(&["rules"]);
    assert_eq!(rules.code, 0);
    assert!(rules.stdout.lines().count() >= 25, "{}", rules.stdout);
    let explain = parity(&["explain", "gpu-node-parity"]);
    assert_eq!(explain.code, 0);
    for part in ["gpu-node-parity (error)", "Rule:", "Why:", "Fix:", "Example:"] {
        assert!(explain.stdout.contains(part), "{part} missing:\n{}", explain.stdout);
    }
    let typo = parity(&["explain", "gpu-node-parit"]);
    assert_eq!(typo.code, 2);
    assert!(typo.stderr.contains("did you mean `gpu-node-parity`?"), "{}", typo.stderr);
}

#[test]
fn standard_rule_cases_pass() {
    let run = parity(&["test", "rules/tests"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let last = run.stdout.lines().last().unwrap_or("");
    assert!(last.ends_with("passed, 0 failed"), "{}", run.stdout);
}

#[test]
fn rule_test_runner_reports_a_failing_case() {
    let dir = tempfile::tempdir().expect("temp dir");
    let case = dir.path().join("case");
    std::fs::create_dir_all(case.join("prod")).expect("mkdir");
    std::fs::write(case.join("prod/ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n")
        .expect("write");
    std::fs::write(case.join("parity-test.yaml"), "rules: [namespace-default-deny]\nexpect: []\n").expect("write");
    let run = parity(&["test", &dir.path().to_string_lossy()]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("unexpected: namespace-default-deny in prod: Namespace web"), "{}", run.stdout);
    assert!(run.stdout.ends_with("0 passed, 1 failed\n"), "{}", run.stdout);
}

#[test]
fn a_misspelt_key_in_a_case_file_is_an_error_not_an_empty_expectation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let case = dir.path().join("case");
    std::fs::create_dir_all(case.join("prod")).expect("mkdir");
    std::fs::write(case.join("prod/ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n")
        .expect("write");
    std::fs::write(case.join("parity-test.yaml"), "rules: [namespace-default-deny]\nexpect: []\nexpct: []\n")
        .expect("write");
    let run = parity(&["test", &dir.path().to_string_lossy()]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("ERROR") && run.stdout.contains("unknown field `expct`"), "{}", run.stdout);
}

#[test]
fn docs_rules_md_is_current() {
    let run = parity(&["rules", "--markdown"]);
    assert_eq!(run.code, 0);
    let on_disk = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md")).unwrap_or_default();
    assert!(on_disk == run.stdout, "docs/rules.md is out of date: run `cargo run -- rules --markdown > docs/rules.md`");
}
