//! Regression tests for mismatches the differential test
//! (`tests/vm_vs_reference.rs`) found between the VM and the reference
//! evaluator, each named by the case and reduced to a minimal rule and world.

use parity::testing::{findings, world};

const CONTAINER_WITHOUT_IMAGE: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: default}
spec:
  tags: null
  containers: [{name: app}]
"#;

/// `"x" not in PATH` with PATH absent is false: every test on absent is,
/// `not in` included (docs/language.md, "Absent fields and mixed types").
#[test]
fn not_in_an_absent_collection_is_false() {
    let w = world(&[("prod", CONTAINER_WITHOUT_IMAGE)]);
    assert_eq!(findings("", &[r#"no pod where "a" not in spec.tolerations"#], &w), Vec::<String>::new());
    assert_eq!(findings("", &[r#"no object where "a" not in spec.tags"#], &w), Vec::<String>::new());
    assert_eq!(findings("", &[r#"no pod has some container with 0 not in image"#], &w), Vec::<String>::new());
    // Present on both sides, it is still the negation of `in`.
    assert_eq!(findings("", &[r#"no pod where "z" not in metadata.name"#], &w), vec!["cli-1 prod Pod default/a"]);
}

/// `A not contains B` with B absent is false, like `B not in A`.
#[test]
fn not_contains_an_absent_value_is_false() {
    let w = world(&[("prod", CONTAINER_WITHOUT_IMAGE)]);
    assert_eq!(findings("", &["no pod where metadata.name not contains spec.nodeName"], &w), Vec::<String>::new());
    assert_eq!(findings("", &[r#"no pod where metadata.name not contains "z""#], &w), vec!["cli-1 prod Pod default/a"]);
}

/// A version literal reads a *string* as a version; a number on the other
/// side is a different type, so `=` and `!=` are both false. (`1.30` in YAML
/// is the number 1.3, so reading numbers as versions was lossy too.)
#[test]
fn version_literal_against_a_number_is_false_both_ways() {
    let w =
        world(&[("prod", "apiVersion: v1\nkind: Node\nmetadata: {name: a}\nspec: {cpu: 1, v: 1.30, s: \"1.30\"}\n")]);
    for rule in
        ["no object where spec.cpu != v1.30.4", "no object where spec.cpu = v1", "no object where spec.v = v1.30"]
    {
        assert_eq!(findings("", &[rule], &w), Vec::<String>::new(), "{rule}");
    }
    assert_eq!(findings("", &["no object where spec.s = v1.30"], &w), vec!["cli-1 prod Node a"]);
}

/// Filters apply together, `in env` included: `pod in env staging in env
/// dev` is in both, so nothing; the second `in env` used to be ignored.
#[test]
fn two_in_env_filters_both_apply() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: default}\n";
    let w = world(&[("dev", ""), ("staging", pod)]);
    assert_eq!(findings("", &["no pod in env staging in env dev"], &w), Vec::<String>::new());
    assert_eq!(findings("", &["no pod in env staging in env staging"], &w), vec!["cli-1 staging Pod default/a"]);
    assert_eq!(findings("", &["no pod in env dev in env staging"], &w), Vec::<String>::new());
}
