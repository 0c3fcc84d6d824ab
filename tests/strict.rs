//! Strict parity end to end: `matches` and `tolerate` on fixture trees with
//! planted differences (tests/fixtures/strict/planted: some tolerated, some
//! not) and on a tree whose only differences are normalised noise
//! (tests/fixtures/strict/clean).

mod common;

use std::path::Path;

use common::*;
use serde_json::Value as Json;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/strict").join(name)
}

/// `rule env kind/name file:line related-file:line | message` per finding of `rules`.
fn lines(report: &Json, rules: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| rules.contains(&f["rule"].as_str().unwrap()))
        .map(|f| {
            let rel = f["related"].get(0).map(|r| format!(" {}:{}", r["file"].as_str().unwrap(), r["line"]));
            format!(
                "{} {} {}/{} {}:{}{} | {}",
                f["rule"].as_str().unwrap(),
                f["env"].as_str().unwrap(),
                f["kind"].as_str().unwrap(),
                f["name"].as_str().unwrap(),
                f["file"].as_str().unwrap(),
                f["line"],
                rel.unwrap_or_default(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn planted_differences_give_exactly_the_untolerated_ones() {
    let run = parity_in(
        &fixture("planted"),
        &["check", "--no-stdlib", "--rules", "strict.parity", "--format", "json", "."],
        None,
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(
        lines(&report, &["strict", "parity/tolerance-unused"]),
        [
            "parity/tolerance-unused  / strict.parity:14 | `tolerate metadata.labels.tier for services` allowed no difference; remove it",
            "strict dev Deployment/web dev/app.yaml:13 prod/app.yaml:22 | Deployment web: spec.template.spec.containers[name=proxy] is absent in dev but {\"image\":\"envoyproxy/envoy:v1.30.1\",\"name\":\"proxy\"} in prod",
            "strict dev Deployment/web dev/app.yaml:15 prod/app.yaml:15 | Deployment web: spec.template.spec.containers[name=web].image is \"docker.io/shop/web:1.4.0\" in dev but \"registry.example.com/shop/web:1.4.0\" in prod",
            "strict staging ConfigMap/web-config staging/app.yaml:30 prod/app.yaml:30 | ConfigMap web-config: data.TIMEOUT is \"60\" in staging but \"30\" in prod",
            "strict staging Deployment/web staging/app.yaml:20 prod/app.yaml:20 | Deployment web: spec.template.spec.containers[name=web].readinessProbe.httpGet.path is \"/health\" in staging but \"/healthz\" in prod",
        ]
    );
    // The evidence holds the path and the value in each env.
    let probe = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["evidence"]["path"].as_str().is_some_and(|p| p.ends_with("readinessProbe.httpGet.path")))
        .unwrap();
    assert_eq!(probe["evidence"]["staging"], "/health");
    assert_eq!(probe["evidence"]["prod"], "/healthz");
}

#[test]
fn normalised_noise_gives_no_finding() {
    let run = parity_in(
        &fixture("clean"),
        &["check", "--no-stdlib", "--rules", "strict.parity", "--format", "json", "."],
        None,
        &[],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(lines(&json(&run), &["strict"]), Vec::<String>::new());
}

#[test]
fn matches_needs_an_object() {
    let run = parity(&["check", "--rule", "every deployment matches 3", "tests/fixtures/strict/clean"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("`matches` compares an object with an object"), "{}", run.stderr);
}

#[test]
fn a_bad_tolerance_is_a_compile_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[("bad.parity", "\n\ntolerate spec.x by \"(\"\n"), ("m/a.yaml", "kind: Namespace\nmetadata: {name: a}\n")],
    );
    let run = parity_in(dir.path(), &["check", "--rules", "bad.parity", "m"], None, &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("parity::compile::regex") && run.stderr.contains("bad.parity:3"), "{}", run.stderr);
}

#[test]
fn diff_json_lists_every_object_with_a_cell_per_env() {
    let run = parity_in(&fixture("planted"), &["diff", "--rules", "strict.parity", "--format", "json"], None, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v = json(&run);
    assert_eq!(v["envs"], serde_json::json!(["dev", "staging", "prod"]));
    assert_eq!(v["summary"], serde_json::json!({"objects": 3, "differing": 2}));
    let states = |i: usize| -> Vec<String> {
        v["objects"][i]["cells"].as_array().unwrap().iter().map(|c| c["state"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(v["objects"][1]["kind"], "Deployment");
    assert_eq!(states(1), ["differs", "differs", "baseline"]);
    assert_eq!(states(2), ["equal", "equal", "baseline"]);
    let staging = &v["objects"][1]["cells"][1];
    assert_eq!(
        staging["diffs"],
        serde_json::json!([{
            "path": "spec.template.spec.containers[name=web].readinessProbe.httpGet.path",
            "value": "/health", "baseline_value": "/healthz", "line": 20, "baseline_line": 20
        }])
    );
}

#[test]
fn diff_exit_codes_and_plain_output_when_piped() {
    let clean = parity_in(&fixture("clean"), &["diff", "--tree", "."], None, &[]);
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    assert_eq!(clean.stdout, "0 of 1 objects differ · 2 envs (staging, prod)\n");
    let planted = parity_in(&fixture("planted"), &["diff", "--rules", "strict.parity", "staging", "prod"], None, &[]);
    assert_eq!(planted.code, 1, "{}", planted.stderr);
    assert!(!planted.stdout.contains('\u{1b}'), "colour when piped");
    assert!(planted.stdout.contains("  data.TIMEOUT  \"60\"     \"30\"\n"), "{}", planted.stdout);
    assert!(planted.stdout.ends_with("2 of 3 objects differ · 2 envs (staging, prod)\n"), "{}", planted.stdout);
    let unknown = parity_in(&fixture("planted"), &["diff", "prodd"], None, &[]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("no loaded env is named `prodd`; did you mean `prod`?"), "{}", unknown.stderr);
}
