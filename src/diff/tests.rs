use serde_json::json;

use super::pattern::{Pattern, ValuePattern};
use super::*;

fn obj(v: serde_json::Value) -> Object {
    Object::from_json(&v, 0, 0, 1, 0)
}

fn paths(a: serde_json::Value, b: serde_json::Value) -> Vec<String> {
    compare(&obj(a), &obj(b)).diffs.iter().map(Diff::path_text).collect()
}

#[test]
fn quantities_compare_by_value_only_under_resource_fields() {
    let a = json!({"kind": "Pod", "spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": "1000m", "memory": "1Gi"}}}]},
                   "data": {"x": "1.0"}});
    let b = json!({"kind": "Pod", "spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": 1, "memory": "1024Mi"}}}]},
                   "data": {"x": "1"}});
    assert_eq!(paths(a, b), ["data.x"]);
}

#[test]
fn keyed_lists_pair_by_key_and_report_a_missing_element_once() {
    let a = json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [
        {"name": "web", "image": "a", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]},
        {"name": "side", "image": "s"}]}}}});
    let b = json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [
        {"name": "web", "image": "a", "env": [{"name": "Y", "value": "3"}, {"name": "X", "value": "1"}]}]}}}});
    let c = compare(&obj(a), &obj(b));
    let p: Vec<String> = c.diffs.iter().map(Diff::path_text).collect();
    assert_eq!(
        p,
        ["spec.template.spec.containers[name=web].env[name=Y].value", "spec.template.spec.containers[name=side]"]
    );
    // Each side's index of the element, for its line.
    assert_eq!(c.diffs[0].concrete(false)[6], crate::load::PathSeg::Index(0));
    assert_eq!(c.diffs[0].concrete(true)[6], crate::load::PathSeg::Index(1));
    assert_eq!(c.diffs[1].right, None);
}

#[test]
fn sets_are_unordered_and_plain_lists_are_not() {
    let a = json!({"kind": "Role", "rules": [{"verbs": ["get", "list"]}], "args": ["a", "b"]});
    let b = json!({"kind": "Role", "rules": [{"verbs": ["list", "get"]}], "args": ["b", "a"]});
    assert_eq!(paths(a, b), ["args[0]", "args[1]"]);
}

#[test]
fn server_fields_and_empty_values_are_normalised_away() {
    let a = json!({"kind": "ConfigMap", "metadata": {"name": "x", "namespace": "dev-a", "uid": "1", "resourceVersion": "9",
        "annotations": {LAST_APPLIED: "{}"}, "labels": {}}, "status": {"x": 1}, "data": null});
    let b = json!({"kind": "ConfigMap", "metadata": {"name": "x", "namespace": "a", "uid": "2", "generation": 3}});
    assert_eq!(paths(a, b), Vec::<String>::new());
}

#[test]
fn secret_values_are_redacted() {
    let mut d = compare(
        &obj(json!({"kind": "Secret", "data": {"pw": "aGVsbG8="}})),
        &obj(json!({"kind": "Secret", "data": {"pw": "d29ybGQ="}})),
    )
    .diffs
    .remove(0);
    d.redact("Secret");
    assert_eq!(d.left, Some(json!(REDACTED)));
    assert_eq!(d.right, Some(json!(REDACTED)));
    assert_eq!(d.path_text(), "data.pw");
}

#[test]
fn keys_that_are_not_words_are_quoted() {
    let a = json!({"kind": "X", "metadata": {"labels": {"app.kubernetes.io/name": "a"}}});
    let b = json!({"kind": "X", "metadata": {"labels": {"app.kubernetes.io/name": "b"}}});
    assert_eq!(paths(a, b), ["metadata.labels.\"app.kubernetes.io/name\""]);
}

#[test]
fn path_patterns_match_at_or_under_a_field() {
    let seg = |s: &str| Seg::Key(s.into());
    let item = |k: &str| Seg::Item { key: k.into(), left: Some(0), right: Some(0) };
    let image = vec![seg("spec"), seg("template"), seg("spec"), seg("containers"), item("name=web"), seg("image")];
    for (pat, kind, hit) in [
        ("podspec.containers[*].image", "Deployment", true),
        ("podspec.containers[web].image", "Deployment", true),
        ("podspec.containers[name=web]", "Deployment", true),
        ("podspec.containers[api]", "Deployment", false),
        ("podspec.containers[*].image", "ConfigMap", false),
        ("**.image", "ConfigMap", true),
        ("spec.*.spec", "X", true),
        ("spec.template.spec.containers[0]", "X", false),
        ("spec.replicas", "Deployment", false),
    ] {
        assert_eq!(Pattern::parse(pat).unwrap().matches(kind, &image), hit, "{pat} on {kind}");
    }
    let label = vec![seg("metadata"), seg("labels"), seg("app.kubernetes.io/name")];
    assert!(Pattern::parse("metadata.labels.\"app.kubernetes.io/name\"").unwrap().matches("X", &label));
    for bad in ["", "a..b", "a[", "a.b.", "a b", "[]"] {
        assert!(Pattern::parse(bad).is_err(), "{bad:?} parses");
    }
}

#[test]
fn value_patterns_remove_what_may_differ() {
    let tag = ValuePattern::new(":[^:/]+$").unwrap();
    assert!(tag.tolerates("reg:5000/app:1.4", "dev", "reg:5000/app:1.5-rc", "prod"));
    assert!(!tag.tolerates("other/app:1.4", "dev", "reg/app:1.4", "prod"));
    let host = ValuePattern::new("{env}").unwrap();
    assert!(host.tolerates("shop.dev.example.com", "dev", "shop.prod.example.com", "prod"));
    assert!(!host.tolerates("api.dev.example.com", "dev", "shop.prod.example.com", "prod"));
    assert!(ValuePattern::new("(").is_err());
}
