//! The language means what it reads (issue 22, issue 14 items 3 and 5):
//! each sentence as a user writes it, run end to end through the binary,
//! next to its opposite, so that both cannot pass on the same tree.

mod common;

use common::{json, keys, parity_in, write_tree};

/// Two envs, dev (tagged nonprod) and prod (tagged prod), from parity.toml.
const CONFIG: &str = r#"promotion = ["dev", "prod"]
[[env]]
name = "dev"
source = "dev"
tags = ["nonprod"]
[[env]]
name = "prod"
source = "prod"
tags = ["prod"]
"#;

struct Checked {
    code: i32,
    keys: Vec<String>,
    stderr: String,
    stdout: String,
}

/// Runs `parity check --rule RULE` on a dev and a prod tree.
fn check(rule: &str, dev: &str, prod: &str) -> Checked {
    let dir = tempfile::tempdir().expect("temp dir");
    write_tree(dir.path(), &[("parity.toml", CONFIG), ("dev/objects.yaml", dev), ("prod/objects.yaml", prod)]);
    let run = parity_in(dir.path(), &["check", "--format", "json", "--rule", rule], None, &[]);
    let mut keys = if run.stdout.trim_start().starts_with('{') { keys(&json(&run)) } else { Vec::new() };
    keys.sort();
    Checked { code: run.code, keys, stderr: run.stderr, stdout: run.stdout }
}

fn findings(rule: &str, prod: &str) -> Vec<String> {
    let c = check(rule, "", prod);
    assert!(c.code == 0 || c.code == 1, "{rule}: exit {}\n{}\n{}", c.code, c.stderr, c.stdout);
    c.keys
}

/// Exit 2 and the error text (stderr and the JSON report).
fn error(rule: &str, prod: &str) -> String {
    let c = check(rule, "", prod);
    assert_eq!(c.code, 2, "{rule}: expected exit 2\n{}\n{}", c.stderr, c.stdout);
    // The JSON report's errors, code and message unwrapped.
    let report: serde_json::Value = serde_json::from_str(&c.stdout).unwrap_or_default();
    let errors = report["errors"].as_array().cloned().unwrap_or_default();
    errors
        .iter()
        .map(|e| format!("{}: {}\n", e["code"].as_str().unwrap_or(""), e["message"].as_str().unwrap_or("")))
        .collect()
}

const NAMESPACES: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Namespace
metadata: {name: b}
---
apiVersion: v1
kind: Namespace
metadata: {name: c}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: a}
spec: {replicas: 2}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: b}
spec: {replicas: 3}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: p, namespace: b}
"#;

/// 22.1: a filter's quantified phrase ends where the outer predicate
/// begins. Namespace a has a Deployment and no PDB, b has both, c neither.
#[test]
fn quantifier_in_a_filter_leaves_the_predicate_to_the_sentence() {
    let some = "every namespace with some deployment has some poddisruptionbudget";
    assert_eq!(findings(some, NAMESPACES), ["cli-1 prod Namespace a"]);
    let none = "every namespace with some deployment has no poddisruptionbudget";
    assert_eq!(findings(none, NAMESPACES), ["cli-1 prod Namespace b"]);
    let counted = "every namespace with at least 1 deployment has some poddisruptionbudget";
    assert_eq!(findings(counted, NAMESPACES), ["cli-1 prod Namespace a"]);
    let filtered = "every namespace with some deployment where spec.replicas > 1 has some poddisruptionbudget";
    assert_eq!(findings(filtered, NAMESPACES), ["cli-1 prod Namespace a"]);
    let opposite = "every namespace with some deployment where spec.replicas > 1 has no poddisruptionbudget";
    assert_eq!(findings(opposite, NAMESPACES), ["cli-1 prod Namespace b"]);
    // Parenthesised, the inner phrase keeps its own predicate.
    let inner = "no namespace where (some deployment has spec.replicas > 2)";
    assert_eq!(
        findings(inner, NAMESPACES),
        ["cli-1 prod Namespace a", "cli-1 prod Namespace b", "cli-1 prod Namespace c"]
    );
}

/// 22.1: where the grammar cannot tell (a nested collection in the filter,
/// then a field test), a compile error shows both readings.
#[test]
fn filter_quantifier_over_a_nested_collection_then_a_field_test_is_ambiguous() {
    let prod = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: a}\nspec: {template: {spec: {containers: [{name: app, image: x}]}}}\n";
    let text = error(r#"every deployment with some container has image = "x""#, prod);
    assert!(text.contains("parity::compile::ambiguous"), "{text}");
    assert!(text.contains("every deployment with (some container) has (image = \"x\")"), "{text}");
    assert!(text.contains("every deployment has (some container with (image = \"x\"))"), "{text}");
    // Both parenthesisations parse; the first reads `image` on the
    // Deployment, which no Kubernetes version has: a compile error.
    let text = error(r#"every deployment with (some container) has (image = "x")"#, prod);
    assert!(text.contains("parity::compile::unknown-field"), "{text}");
    assert_eq!(findings(r#"every deployment has (some container with (image = "x"))"#, prod), Vec::<String>::new());
    assert_eq!(findings(r#"every deployment has some container with image = "x""#, prod), Vec::<String>::new());
    assert_eq!(
        findings(r#"every deployment has some container with image = "y""#, prod),
        ["cli-1 prod Deployment a/d"]
    );
}

/// 22.2: `X in env.FIELD` is a membership test on the env's field.
#[test]
fn membership_in_an_env_field_is_a_test_not_an_env_filter() {
    let holds = r#"every env where "prod" in env.tags has some namespace with some deployment where spec.replicas > 2"#;
    assert_eq!(findings(holds, NAMESPACES), Vec::<String>::new());
    let fails = r#"every env where "prod" in env.tags has some namespace with some deployment where spec.replicas > 3"#;
    assert_eq!(findings(fails, NAMESPACES), ["cli-1 prod"]);
    let c = check(r#"every env where "nonprod" in env.tags has some namespace"#, "", NAMESPACES);
    assert_eq!((c.code, c.keys), (1, vec!["cli-1 dev".to_string()]), "{}", c.stderr);
}

/// 22.2 and 14.5: an env name or tag that no loaded env has is an error,
/// with "did you mean" over the loaded envs; the rule's opposite with a
/// real name runs.
#[test]
fn unknown_env_names_and_tags_are_errors_with_a_suggestion() {
    let text = error("every deployment in env prodd has spec.replicas > 0", NAMESPACES);
    assert!(text.contains("parity::rule::unknown-env") && text.contains("did you mean `prod`?"), "{text}");
    let text = error("every deployment in envs tagged nonprdo has spec.replicas > 0", NAMESPACES);
    assert!(text.contains("parity::rule::unknown-tag") && text.contains("did you mean `nonprod`?"), "{text}");
    assert_eq!(
        findings("every deployment in env prod has spec.replicas > 2", NAMESPACES),
        ["cli-1 prod Deployment a/d"]
    );
    let c = check("every deployment in envs tagged nonprod has spec.replicas > 2", NAMESPACES, "");
    assert_eq!(c.keys, ["cli-1 dev Deployment a/d"], "{}", c.stderr);
}

const CONFIGMAP: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: app, namespace: a}
data:
  app.properties: |
    port=80
    debug=true
    name=x
  brackets: "a[1]*"
"#;

/// 22.3: `*` and `?` match line breaks; `[[]` matches a literal `[`.
#[test]
fn globs_match_across_line_breaks() {
    let debug = r#"no configmap where data."app.properties" like "*debug=true*""#;
    assert_eq!(findings(debug, CONFIGMAP), ["cli-1 prod ConfigMap a/app"]);
    let opposite = r#"no configmap where data."app.properties" not like "*debug=true*""#;
    assert_eq!(findings(opposite, CONFIGMAP), Vec::<String>::new());
    assert_eq!(
        findings(r#"no configmap where data."app.properties" like "*""#, CONFIGMAP),
        ["cli-1 prod ConfigMap a/app"]
    );
    assert_eq!(
        findings(r#"no configmap where data."app.properties" like "port=80?debug*""#, CONFIGMAP),
        ["cli-1 prod ConfigMap a/app"]
    );
    // Classes, and a literal `[` and `*` through a class.
    assert_eq!(
        findings(r#"no configmap where data.brackets like "a[[]1][*]""#, CONFIGMAP),
        ["cli-1 prod ConfigMap a/app"]
    );
    assert_eq!(findings(r#"no configmap where data.brackets like "a[[]2]*""#, CONFIGMAP), Vec::<String>::new());
    assert_eq!(
        findings(r#"no configmap where data.brackets like "[!b][[]*""#, CONFIGMAP),
        ["cli-1 prod ConfigMap a/app"]
    );
}

const SECRETS: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: a}
spec: {template: {spec: {containers: [{name: app, env: [{name: P, valueFrom: {secretKeyRef: {name: db, key: p}}}]}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: b}
spec: {template: {spec: {containers: [{name: app, env: [{name: P, valueFrom: {secretKeyRef: {name: db, key: p}}}]}]}}}
---
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: a}
"#;

/// 22.4: from a container, object lookups look in the workload's namespace,
/// through `has` and through a bare quantifier alike. The Secret `db` is in
/// namespace a only, so the Deployment in b lacks it.
#[test]
fn nested_elements_look_up_objects_in_their_objects_namespace() {
    let has = r#"every deployment has every container has some secret where metadata.name = "db""#;
    assert_eq!(findings(has, SECRETS), ["cli-1 prod Deployment b/api"]);
    let has_not = r#"every deployment has every container has no secret where metadata.name = "db""#;
    assert_eq!(findings(has_not, SECRETS), ["cli-1 prod Deployment a/web"]);
    let bare = r#"every deployment has every container where (some secret where metadata.name = "db")"#;
    assert_eq!(findings(bare, SECRETS), ["cli-1 prod Deployment b/api"]);
    let bare_not = r#"every deployment has no container where (some secret where metadata.name = "db")"#;
    assert_eq!(findings(bare_not, SECRETS), ["cli-1 prod Deployment a/web"]);
    // Two levels down (an env var of a container): the same scope.
    let envvar = r#"every deployment has every container has every envvar has some secret where metadata.name = valueFrom.secretKeyRef.name"#;
    let envvar = envvar.replace("metadata.name = valueFrom.secretKeyRef.name", "metadata.name = \"db\"");
    assert_eq!(findings(&envvar, SECRETS), ["cli-1 prod Deployment b/api"]);
    // `in previous env` from a container is relative to its object's env
    // (here the Secret is in dev only; dev precedes prod).
    let secret_only = "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: z}\n";
    let prev = r#"every deployment in env prod has every container has some secret in previous env where metadata.name = "db""#;
    let c = check(prev, secret_only, SECRETS);
    assert_eq!((c.code, c.keys), (0, vec![]), "{}", c.stderr);
    let prev_not =
        r#"every deployment in env prod has every container has no secret in previous env where metadata.name = "db""#;
    let c = check(prev_not, secret_only, SECRETS);
    assert_eq!(c.keys, ["cli-1 prod Deployment a/web", "cli-1 prod Deployment b/api"], "{}", c.stderr);
}

const STATEFULSET: &str = r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: a}
spec: {template: {spec: {containers: [{name: app, resources: {requests: {cpu: 1500m, memory: 1Gi}, limits: {cpu: "1", memory: 2Gi}}}]}}}
"#;

/// 22.5: `+`, `-` and `*` on quantities work by value.
#[test]
fn quantity_arithmetic_is_by_value() {
    let sum =
        "no statefulset has some container where quantity(resources.requests.cpu) + quantity(resources.limits.cpu) > 2";
    assert_eq!(findings(sum, STATEFULSET), ["cli-1 prod StatefulSet a/db"]);
    let opposite = "no statefulset has some container where quantity(resources.requests.cpu) + quantity(resources.limits.cpu) <= 2";
    assert_eq!(findings(opposite, STATEFULSET), Vec::<String>::new());
    let exact = "no statefulset has some container where quantity(resources.requests.cpu) + quantity(resources.limits.cpu) = 2500m";
    assert_eq!(findings(exact, STATEFULSET), ["cli-1 prod StatefulSet a/db"]);
    let diff = "no statefulset has some container where resources.limits.memory - resources.requests.memory = 1Gi";
    assert_eq!(findings(diff, STATEFULSET), ["cli-1 prod StatefulSet a/db"]);
    let times =
        "no statefulset has some container where quantity(resources.requests.memory) * 2 = resources.limits.memory";
    assert_eq!(findings(times, STATEFULSET), ["cli-1 prod StatefulSet a/db"]);
    let not_times =
        "no statefulset has some container where quantity(resources.requests.memory) * 3 = resources.limits.memory";
    assert_eq!(findings(not_times, STATEFULSET), Vec::<String>::new());
    // Subtracting text is no arithmetic: a compile error.
    let text = error(r#"no statefulset has some container where resources.limits.cpu - "a" > 0"#, STATEFULSET);
    assert!(text.contains("works on numbers and quantities"), "{text}");
}

const SERVICE: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: api, namespace: a, labels: {app: api, tier: backend}}
spec: {selector: {app: api}}
"#;

/// 22.6: maps are sets of key/value pairs for `subset of` and `same set as`.
#[test]
fn maps_compare_as_sets_of_pairs() {
    assert_eq!(
        findings("no service where spec.selector subset of metadata.labels", SERVICE),
        ["cli-1 prod Service a/api"]
    );
    assert_eq!(findings("no service where metadata.labels subset of spec.selector", SERVICE), Vec::<String>::new());
    assert_eq!(
        findings(r#"no service where spec.selector same set as {app: "api"}"#, SERVICE),
        ["cli-1 prod Service a/api"]
    );
    assert_eq!(findings(r#"no service where spec.selector same set as {app: "web"}"#, SERVICE), Vec::<String>::new());
    assert_eq!(
        findings("no service where metadata.labels same set as metadata.labels", SERVICE),
        ["cli-1 prod Service a/api"]
    );
}

const READONLY: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: ro, namespace: a}
spec: {template: {spec: {containers: [{name: app, securityContext: {readOnlyRootFilesystem: true}}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: rw, namespace: a}
spec: {template: {spec: {containers: [{name: app, securityContext: {readOnlyRootFilesystem: false}}]}}}
"#;

/// 22.7: a bare boolean field as a condition is its value.
#[test]
fn a_bare_boolean_field_is_its_value() {
    let every = "every deployment has every container with securityContext.readOnlyRootFilesystem";
    assert_eq!(findings(every, READONLY), ["cli-1 prod Deployment a/rw"]);
    let none = "every deployment has no container with securityContext.readOnlyRootFilesystem";
    assert_eq!(findings(none, READONLY), ["cli-1 prod Deployment a/ro"]);
    // `exists` still asks whether the field is there at all.
    let exists = "every deployment has every container with securityContext.readOnlyRootFilesystem exists";
    assert_eq!(findings(exists, READONLY), Vec::<String>::new());
}

const BIG: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: big, namespace: a}
spec: {big: 9007199254740993, small: 9007199254740992}
"#;

/// 22.8: integers above 2^53 compare exactly.
#[test]
fn integers_above_two_to_the_53_compare_exactly() {
    assert_eq!(findings("no object where spec.big = 9007199254740992", BIG), Vec::<String>::new());
    assert_eq!(findings("no object where spec.big = 9007199254740993", BIG), ["cli-1 prod ConfigMap a/big"]);
    assert_eq!(findings("no object where spec.big > spec.small", BIG), ["cli-1 prod ConfigMap a/big"]);
    assert_eq!(findings("no object where spec.big <= spec.small", BIG), Vec::<String>::new());
}

const BINDINGS: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb, namespace: a}
roleRef: {kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: ci, namespace: a}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: people}
roleRef: {kind: ClusterRole, name: cluster-admin}
subjects: [{kind: User, name: alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: robots}
roleRef: {kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: bot, namespace: a}]
"#;

/// 14.3: `or` between nouns after a quantifier is a union of the nouns.
#[test]
fn or_between_nouns_is_a_union() {
    let no = r#"no rolebinding or clusterrolebinding where roleRef.name = "cluster-admin" has some subject with kind = "ServiceAccount""#;
    assert_eq!(findings(no, BINDINGS), ["cli-1 prod ClusterRoleBinding robots", "cli-1 prod RoleBinding a/rb"]);
    let every = r#"every rolebinding or clusterrolebinding where roleRef.name = "cluster-admin" has some subject with kind = "ServiceAccount""#;
    assert_eq!(findings(every, BINDINGS), ["cli-1 prod ClusterRoleBinding people"]);
    // Parenthesised, `or` joins two sentences again.
    let two = r#"(no rolebinding) or (no clusterrolebinding)"#;
    assert_eq!(findings(two, BINDINGS).len(), 1);
    // A union member that is not a kind noun: the readings are shown.
    let text = error("no deployment or system", NAMESPACES);
    assert!(text.contains("parity::compile::ambiguous") && text.contains("(deployment or system)"), "{text}");
}

/// 14.3: English negations of the string tests, `and` inside `has`, and a
/// trailing `with` as the predicate of `every`.
#[test]
fn negations_and_has_and_trailing_with_read_as_english() {
    let starts = r#"no configmap where metadata.name does not start with "ap""#;
    assert_eq!(findings(starts, CONFIGMAP), Vec::<String>::new());
    let starts = r#"no configmap where metadata.name does not start with "db""#;
    assert_eq!(findings(starts, CONFIGMAP), ["cli-1 prod ConfigMap a/app"]);
    assert_eq!(findings(r#"no configmap where metadata.name not ends with "pp""#, CONFIGMAP), Vec::<String>::new());
    assert_eq!(
        findings(r#"no configmap where metadata.name does not end with "x""#, CONFIGMAP),
        ["cli-1 prod ConfigMap a/app"]
    );
    assert_eq!(findings(r#"no configmap where metadata.name does not contain "p""#, CONFIGMAP), Vec::<String>::new());
    // `has A and B`: the subject has both.
    let both = "every deployment has spec.replicas > 1 and spec.replicas < 3";
    assert_eq!(findings(both, NAMESPACES), ["cli-1 prod Deployment b/d"]);
    // `every X in env E with C`: the last `with` is what must hold.
    let trailing = "every deployment in env prod with spec.replicas > 2";
    assert_eq!(findings(trailing, NAMESPACES), ["cli-1 prod Deployment a/d"]);
    let two = "every deployment with spec.replicas > 2 with metadata.namespace = \"a\"";
    assert_eq!(findings(two, NAMESPACES), ["cli-1 prod Deployment b/d"]);
}

/// `parity compile --explain RULE` prints the reading: every condition and
/// filter in parentheses; an ambiguous sentence exits 2 with both readings.
#[test]
fn compile_explain_prints_the_reading() {
    let dir = tempfile::tempdir().expect("temp dir");
    let explain = |rule: &str| parity_in(dir.path(), &["compile", "--explain", rule], None, &[]);
    let run = explain("every namespace with some deployment has some poddisruptionbudget");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "every namespace with (some deployment) has (some poddisruptionbudget)");
    let run = explain(
        r#"no rolebinding or clusterrolebinding where roleRef.name = "cluster-admin" has some subject with kind = "ServiceAccount""#,
    );
    assert_eq!(
        run.stdout.trim(),
        r#"no rolebinding or clusterrolebinding where (roleRef.name = "cluster-admin") has (some subject with (kind = "ServiceAccount"))"#
    );
    let run = explain(r#"every deployment with some container has image = "x""#);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("parity::compile::ambiguous"), "{}", run.stderr);
    // By id, from a rule file.
    write_tree(
        dir.path(),
        &[("r.parity", "rule pdb {\n  every namespace with some deployment has some poddisruptionbudget\n}\n")],
    );
    let run = parity_in(dir.path(), &["compile", "--explain", "pdb", "r.parity"], None, &[]);
    assert_eq!(
        (run.code, run.stdout.trim()),
        (0, "every namespace with (some deployment) has (some poddisruptionbudget)"),
        "{}",
        run.stderr
    );
}
