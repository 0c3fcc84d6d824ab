//! Trust: every verdict is right, or the rule is rejected. One end-to-end
//! regression test per class of silently wrong verdict (issue 14), each
//! through the real binary on a small tree written here.

mod common;

use common::{json, keys, parity_in, write_tree};

const DEPLOY_ONE_REPLICA: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {replicas: 1}
";

/// A rule file that does not compile never silences the rules that do: the
/// good rule's finding is reported, every broken rule is an error, exit 2.
#[test]
fn a_broken_rule_does_not_silence_the_others() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("rules/good.parity", "rule good-one {\n  every deployment has spec.replicas >= 2\n}\n"),
            ("rules/bad.parity", "rule bad-one {\n  every deploymnt has spec.replicas >= 2\n}\n"),
            ("rules/worse.parity", "rule bad-two {\n  every nodez has spec.x = 1\n}\n"),
            ("m/prod/d.yaml", DEPLOY_ONE_REPLICA),
        ],
    );
    let run = parity_in(dir.path(), &["check", "--format", "json", "rules", "m"], None, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(keys(&report), ["good-one prod Deployment shop/web"]);
    let errors: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e["code"].as_str().unwrap(), e["file"].as_str().unwrap()))
        .collect();
    assert_eq!(
        errors,
        ["parity::compile::unknown-name rules/bad.parity", "parity::compile::unknown-name rules/worse.parity"]
    );
    assert_eq!(report["summary"]["rules"], 1);
    // Human output: the finding and both errors, not "no findings".
    let run = parity_in(dir.path(), &["check", "rules", "m"], None, &[]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("error[good-one] 1 finding"), "{}", run.stdout);
    assert!(run.stderr.contains("unknown noun `deploymnt`"), "{}", run.stderr);
    assert!(run.stderr.contains("unknown noun `nodez`"), "{}", run.stderr);
}

fn replicas_tree(dir: &std::path::Path, prod: u32, staging: u32) {
    let deploy = |n: u32| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: shop}}\nspec: {{replicas: {n}}}\n"
        )
    };
    write_tree(dir, &[("m/prod/d.yaml", &deploy(prod)), ("m/staging/d.yaml", &deploy(staging))]);
}

/// A message template sees every name the subject phrase binds: the
/// subject's own `as` name and the counterpart's.
#[test]
fn message_templates_see_bound_names() {
    let dir = tempfile::tempdir().unwrap();
    replicas_tree(dir.path(), 2, 3);
    write_tree(
        dir.path(),
        &[(
            "r.parity",
            "rule rep {\n  every deployment as d in env prod with counterpart in env staging as s has spec.replicas >= s.spec.replicas\n  message: \"{d.metadata.name}: {spec.replicas} in prod, {s.spec.replicas} in staging\"\n}\n",
        )],
    );
    let run = parity_in(dir.path(), &["check", "--format", "json", "r.parity", "m"], None, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(report["findings"][0]["message"], "web: 2 in prod, 3 in staging");
}

/// A template naming something bound only inside the predicate is a compile
/// error at the placeholder, never a silent `<absent>`.
#[test]
fn message_naming_a_predicate_binding_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    replicas_tree(dir.path(), 2, 3);
    write_tree(
        dir.path(),
        &[(
            "r.parity",
            "rule rep {\n  every deployment has some container as c with c.image exists\n  message: \"{c.name} has no image\"\n}\n",
        )],
    );
    let run = parity_in(dir.path(), &["check", "r.parity", "m"], None, &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("r.parity:3:14"), "{}", run.stdout);
    assert!(run.stderr.contains("`c` is bound inside the rule's predicate"), "{}", run.stderr);
}
