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
    let run = parity_in(dir.path(), &["check", "--no-stdlib", "--format", "json", "rules", "m"], None, &[]);
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

/// Runs `check` with a rule file `r.parity` on the replicas tree (prod 2,
/// staging 3).
fn check_rule_file(rules: &str, flags: &[&str]) -> (tempfile::TempDir, common::Run) {
    let dir = tempfile::tempdir().unwrap();
    replicas_tree(dir.path(), 2, 3);
    write_tree(dir.path(), &[("r.parity", rules)]);
    // The rule under test alone: `--no-stdlib`.
    let mut args = vec!["check", "--no-stdlib"];
    args.extend_from_slice(flags);
    args.extend(["r.parity", "m"]);
    let run = parity_in(dir.path(), &args, None, &[]);
    (dir, run)
}

/// A message template sees every name the subject phrase binds: the
/// subject's own `as` name and the counterpart's.
#[test]
fn message_templates_see_bound_names() {
    let (_dir, run) = check_rule_file(
        "rule rep {\n  every deployment as d in env prod with counterpart in env staging as s has spec.replicas >= s.spec.replicas\n  message: \"{d.metadata.name}: {spec.replicas} in prod, {s.spec.replicas} in staging\"\n}\n",
        &["--format", "json"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(report["findings"][0]["message"], "web: 2 in prod, 3 in staging");
}

/// A template naming something bound deeper in the predicate (inside
/// another quantifier) is a compile error at the placeholder, never a
/// silent `<absent>`.
#[test]
fn message_naming_a_predicate_binding_is_rejected() {
    let (_dir, run) = check_rule_file(
        "rule rep {\n  every deployment has some container with (some port as c with c.containerPort exists)\n  message: \"{c.name} has no port\"\n}\n",
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("r.parity:3:14"), "{}", run.stdout);
    assert!(run.stderr.contains("`c` is bound inside the rule's predicate"), "{}", run.stderr);
}

/// A placeholder is parsed on its own, yet its errors point into the rule
/// file: a syntax error and an unknown name, each at its line and column.
#[test]
fn message_placeholder_errors_point_into_the_rule_file() {
    let (_dir, run) = check_rule_file(
        "rule a {\n  every deployment has spec.replicas > 0\n  message: \"{name} has {spec.replicas +} replicas\"\n}\n",
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("r.parity:3:"), "{}", run.stdout);
    assert!(run.stderr.contains("in message placeholder"), "{}", run.stderr);
    let (_dir, run) = check_rule_file(
        "rule b {\n  every deployment has spec.replicas > 0\n  message: \"{name}: {no-such-function(it)}\"\n}\n",
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("r.parity:3:22"), "{}", run.stdout);
    assert!(run.stderr.contains("unknown function `no-such-function`"), "{}", run.stderr);
}

/// A name bound with `as` on the predicate's quantifier reads the element
/// that decided the verdict: one message per failing container, each named,
/// and the finding's line is the first one's.
#[test]
fn message_names_each_element_that_failed() {
    let dir = tempfile::tempdir().unwrap();
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  template:\n    spec:\n      containers:\n        - name: ok\n          resources: {limits: {memory: 1Gi}}\n        - name: app\n          image: app:1\n        - name: sidecar\n          image: proxy:2\n";
    let rules = "rule mem {\n  every deployment has every container as c with resources.limits.memory\n  message: \"container `{c.name}` ({c.image}) of {string(it)} sets no memory limit\"\n}\n";
    write_tree(dir.path(), &[("m/prod/d.yaml", deploy), ("r.parity", rules)]);
    let run = parity_in(dir.path(), &["check", "--format", "json", "r.parity", "m"], None, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    let f = report["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "mem").expect("mem finding");
    assert_eq!(
        f["message"],
        "container `app` (app:1) of Deployment shop/api sets no memory limit; \
         container `sidecar` (proxy:2) of Deployment shop/api sets no memory limit"
    );
    assert_eq!(f["line"], 10);
    assert_eq!(
        f["evidence"],
        serde_json::json!([
            {"env": "prod", "path": "spec.template.spec.containers[1]", "value": "app"},
            {"env": "prod", "path": "spec.template.spec.containers[2]", "value": "sidecar"},
        ])
    );
}

/// Two fields compare by one typing rule, never by the text order of
/// quantities or versions, and the evidence says which reading was used.
#[test]
fn two_fields_compare_as_quantities_versions_and_numbers() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[(
            "m/prod/d.yaml",
            "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {new: v1.10.0, old: v1.9.0, ten: \"10\", nine: \"9\", tag: \"1.0\"}
spec:
  template:
    spec:
      containers:
      - name: app
        image: app:1
        resources:
          requests: {cpu: 250m, memory: 2Gi}
          limits: {cpu: \"1\", memory: 2048Mi}
",
        )],
    );
    let c = "podspec.containers[0].resources";
    let rules = [
        format!("every deployment has {c}.requests.cpu > {c}.limits.cpu"),
        format!("every deployment has {c}.requests.memory != {c}.limits.memory"),
        "every deployment has metadata.labels.new <= metadata.labels.old".to_string(),
        "every deployment has metadata.labels.ten < metadata.labels.nine".to_string(),
        // The opposites hold, so these give no finding.
        format!("every deployment has {c}.requests.cpu <= {c}.limits.cpu"),
        format!("every deployment has {c}.requests.memory = {c}.limits.memory"),
        "every deployment has metadata.labels.new > metadata.labels.old".to_string(),
        // A string literal compares as text: "1.0" is not "1".
        "every deployment has metadata.labels.tag = \"1\"".to_string(),
    ];
    let mut args = vec!["check", "--format", "json", "m"];
    for r in &rules {
        args.push("--rule");
        args.push(r);
    }
    let run = parity_in(dir.path(), &args, None, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    let fired: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(fired, ["cli-1", "cli-2", "cli-3", "cli-4", "cli-8"]);
    // Each evidence item: the value found at the path, and the other side
    // of the comparison as what was expected.
    let item = |f: usize| report["findings"][f]["evidence"][0].clone();
    let ev = item(0);
    assert_eq!(ev["path"], format!("{c}.requests.cpu (as quantity)"), "{ev}");
    assert_eq!(ev["value"], "250m", "{ev}");
    assert_eq!(ev["expected"], "1", "{ev}");
    let ev = item(2);
    assert_eq!(ev["path"], "metadata.labels.new (as version)", "{ev}");
    assert_eq!(ev["value"], "v1.10.0", "{ev}");
    let ev = item(3);
    assert_eq!(ev["value"], "10", "{ev}");
    let ev = item(4);
    assert_eq!(ev["path"], "metadata.labels.tag", "{ev}");
    assert_eq!(ev["value"], "1.0", "{ev}");
}

/// An object without `metadata.namespace` is applied to the env's default
/// namespace (`default`, or parity.toml's `namespace`): it pairs with its
/// counterpart written with that namespace, stdlib rules see it there, and
/// namespace-scoped lookups (serviceaccount-exists) search only there.
#[test]
fn objects_without_a_namespace_live_in_the_env_default_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let deploy = |ns: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web{ns}}}\nspec:\n  template:\n    spec:\n      serviceAccountName: runner\n      containers: [{{name: a, image: \"a:1\"}}]\n"
        )
    };
    write_tree(
        dir.path(),
        &[
            // dev: no namespace written (so `default`); its ServiceAccount is
            // in another namespace, which must not satisfy the lookup.
            (
                "m/dev/d.yaml",
                &format!(
                    "{}---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: runner, namespace: other}}\n",
                    deploy("")
                ),
            ),
            // staging: `namespace: default` written out.
            (
                "m/staging/d.yaml",
                &format!(
                    "{}---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: runner, namespace: default}}\n",
                    deploy(", namespace: default")
                ),
            ),
            // prod: parity.toml says its default namespace is `apps`.
            (
                "m/prod/d.yaml",
                &format!(
                    "{}---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: runner}}\n",
                    deploy(", namespace: apps")
                ),
            ),
            (
                "parity.toml",
                "[[env]]\nname = \"dev\"\nsource = \"m/dev\"\n[[env]]\nname = \"staging\"\nsource = \"m/staging\"\n[[env]]\nname = \"prod\"\nsource = \"m/prod\"\nnamespace = \"apps\"\n",
            ),
        ],
    );
    let run = parity_in(
        dir.path(),
        &["check", "--format", "json", "--rule", "every deployment in env staging exists in every env"],
        None,
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    // staging's default/web pairs with dev's unnamespaced web, not with
    // prod's apps/web.
    assert_eq!(keys(&json(&run)), ["cli-1 staging Deployment default/web"]);
    let missing = &json(&run)["findings"][0]["evidence"];
    assert_eq!(
        missing,
        &serde_json::json!([{"env": "prod", "expected": "Deployment default/web", "path": "", "value": null}])
    );

    let run = parity_in(dir.path(), &["check", "--format", "json"], None, &[]);
    let found = keys(&json(&run));
    for expected in [
        "no-workloads-in-default-namespace dev Deployment default/web",
        "no-workloads-in-default-namespace staging Deployment default/web",
        "serviceaccount-exists dev Deployment default/web",
    ] {
        assert!(found.iter().any(|f| f == expected), "missing {expected:?} in {found:#?}");
    }
    assert!(!found.iter().any(|f| f.starts_with("serviceaccount-exists staging")), "{found:#?}");
    assert!(!found.iter().any(|f| f.starts_with("serviceaccount-exists prod")), "{found:#?}");
}

/// Two objects with one kind, namespace and name in one env are an error
/// finding naming both places, whichever file order they load in.
#[test]
fn a_duplicate_object_in_one_env_is_an_error_finding() {
    let dir = tempfile::tempdir().unwrap();
    let cm = |v: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cfg, namespace: shop}}\ndata: {{a: \"{v}\"}}\n")
    };
    write_tree(dir.path(), &[("m/prod/a.yaml", &cm("1")), ("m/prod/b.yaml", &cm("2")), ("m/staging/a.yaml", &cm("1"))]);
    let run = parity_in(dir.path(), &["check", "--format", "json", "m"], None, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(keys(&report), ["parity/duplicate-object prod ConfigMap shop/cfg"]);
    let f = &report["findings"][0];
    assert_eq!(f["file"], "m/prod/b.yaml");
    assert_eq!(f["related"][0]["file"], "m/prod/a.yaml");
    assert_eq!(
        f["message"],
        "ConfigMap shop/cfg is defined twice in env prod: here and at m/prod/a.yaml:1; applied in order, the last \
         one wins and replaces the other (this one, if applied in file order), and a cross-env rule could pair \
         either; remove or rename one of them"
    );
}

/// A whole-world verdict (`some`, `at least N`, `exactly N` at the top of a
/// sentence) names the envs it examined and what it found.
#[test]
fn whole_world_findings_name_the_envs_and_what_was_found() {
    let dir = tempfile::tempdir().unwrap();
    let cm = |name: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: shop}}\n");
    write_tree(dir.path(), &[("m/dev/a.yaml", &cm("a")), ("m/prod/a.yaml", &cm("a")), ("m/prod/b.yaml", &cm("b"))]);
    let run = parity_in(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "m",
            "--rule",
            "some namespace where metadata.name = \"monitoring\"",
            "--rule",
            "at least 4 configmaps",
        ],
        None,
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    let f = &report["findings"];
    assert_eq!(
        f[0]["message"],
        "violates `some namespace where metadata.name = \"monitoring\"`: found none in dev; none in prod"
    );
    // One evidence item per env examined, with what was found there.
    let text = "some namespace where metadata.name = \"monitoring\"";
    assert_eq!(
        f[0]["evidence"],
        serde_json::json!([{"env": "dev", "path": text, "value": []}, {"env": "prod", "path": text, "value": []}])
    );
    assert_eq!(
        f[1]["message"],
        "violates `at least 4 configmaps`: found 1 in dev (ConfigMap shop/a); 2 in prod (ConfigMap shop/a, ConfigMap shop/b)"
    );
    assert_eq!(f[1]["evidence"][1]["env"], "prod");
    assert_eq!(f[1]["evidence"][1]["value"], serde_json::json!(["ConfigMap shop/a", "ConfigMap shop/b"]));
    let run = parity_in(dir.path(), &["check", "m", "--rule", "at least 4 configmaps"], None, &[]);
    assert!(run.stdout.contains("error[cli-1] 1 finding\n  all envs\n"), "{}", run.stdout);
}

fn node(name: &str, kubelet: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Node\nmetadata: {{name: {name}}}\nstatus: {{nodeInfo: {{kubeletVersion: {kubelet}}}}}\n"
    )
}

/// `all envs ... agree on` compares every env with the reference env (the
/// last in promotion order), not with the last env that has a value; when
/// the reference env has no value, the finding says so.
#[test]
fn agree_on_compares_with_the_reference_env() {
    const RULE: &str = "all envs with nodes agree on { minor(status.nodeInfo.kubeletVersion) for nodes }";
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("m/dev/n.yaml", &node("a", "v1.30.1")),
            ("m/staging/n.yaml", &node("b", "v1.30.2")),
            ("m/prod/n.yaml", &node("c", "v1.31.0")),
        ],
    );
    let run = parity_in(dir.path(), &["check", "--format", "json", "m", "--rule", RULE], None, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    // dev and staging agree with each other, and both differ from prod.
    assert_eq!(keys(&report), ["cli-1 dev", "cli-1 staging"]);
    assert!(
        report["findings"][0]["message"].as_str().unwrap().ends_with("dev has v1.30, reference env prod has v1.31"),
        "{}",
        report["findings"][0]["message"]
    );

    // prod has no nodes: one finding on prod says there is nothing to
    // compare with, instead of comparing dev with staging.
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("m/dev/n.yaml", &node("a", "v1.29.1")),
            ("m/staging/n.yaml", &node("b", "v1.30.2")),
            ("m/prod/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\n"),
        ],
    );
    let run = parity_in(dir.path(), &["check", "--format", "json", "m", "--rule", RULE], None, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(keys(&report), ["cli-1 prod"]);
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .ends_with("the reference env prod has no value to compare with (dev, staging have one)"),
        "{}",
        report["findings"][0]["message"]
    );
}

/// A list literal longer than its op can count is a compile error at the
/// list, never a list silently cut to 16 bits.
#[test]
fn an_oversized_list_literal_is_a_compile_error() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), &[("m/prod/d.yaml", DEPLOY_ONE_REPLICA)]);
    let list = vec!["1"; 70_000].join(",");
    let rule = format!("rule big {{\n  every deployment has spec.replicas in [{list}]\n}}\n");
    write_tree(dir.path(), &[("r.parity", &rule)]);
    let run = parity_in(dir.path(), &["check", "--format", "json", "r.parity", "m"], None, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(report["errors"][0]["code"], "parity::compile::too-large");
    assert!(report["errors"][0]["message"].as_str().unwrap().contains("70000 elements"), "{}", report["errors"][0]);
}

/// A rule whose nouns and filters match nothing anywhere is listed in the
/// JSON summary, and a user rule gets a note naming it (a typo in a custom
/// noun shows at once); the standard library's are noted only with
/// `--verbose`.
#[test]
fn a_rule_that_matches_nothing_is_visible() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("m/prod/d.yaml", DEPLOY_ONE_REPLICA),
            (
                "r.parity",
                "noun certificate = object where kind = \"Certifcate\"\nrule cert {\n  every certificate has spec.secretName exists\n}\nrule reps {\n  every deployment has spec.replicas >= 1\n}\n",
            ),
        ],
    );
    let run = parity_in(dir.path(), &["check", "--no-stdlib", "--format", "json", "r.parity", "m"], None, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(report["summary"]["unmatched_rules"], serde_json::json!(["cert"]));
    let run = parity_in(dir.path(), &["check", "--no-stdlib", "r.parity", "m"], None, &[]);
    assert!(
        run.stdout.contains(
            "warning[parity::rule::matched-nothing] r.parity:2: rule `cert` matched nothing in any env: no subject passed `every certificate has spec.secretName exists`"
        ),
        "{}",
        run.stdout
    );
    // Standard rules: listed in JSON, noted only with --verbose.
    let run = parity_in(dir.path(), &["check", "m"], None, &[]);
    assert!(!run.stdout.contains("matched-nothing"), "{}", run.stdout);
    let run = parity_in(dir.path(), &["check", "-v", "m"], None, &[]);
    assert!(run.stdout.contains("rule `gpu-node-parity` matched nothing"), "{}", run.stdout);
}

/// `--changed` reports the env-level findings a changed file takes part in
/// (a Node file that makes kubelet versions differ), and a changed path that
/// does not exist is an error, not a pass.
#[test]
fn changed_mode_reports_env_level_findings_and_rejects_missing_paths() {
    const RULE: &str = "all envs with nodes agree on { minor(status.nodeInfo.kubeletVersion) for nodes }";
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("m/dev/n.yaml", &node("a", "v1.29.1")),
            ("m/dev/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\n"),
            ("m/staging/n.yaml", &node("b", "v1.30.2")),
            ("m/prod/n.yaml", &node("c", "v1.30.0")),
        ],
    );
    let changed = |file: &str| {
        parity_in(
            dir.path(),
            &["check", "--format", "json", "--changed", "--tree", "m", "--rule", RULE, "--", file],
            None,
            &[],
        )
    };
    // The dev Node file changed: dev's finding is shown.
    let run = changed("m/dev/n.yaml");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(keys(&json(&run)), ["cli-1 dev"]);
    // A change to the reference env can make any env differ.
    let run = changed("m/prod/n.yaml");
    assert_eq!(keys(&json(&run)), ["cli-1 dev"]);
    // A change in staging alone has no part in dev's finding.
    let run = changed("m/staging/n.yaml");
    assert_eq!(run.code, 0, "{}", run.stdout);
    // A changed path that does not exist is an error.
    let run = changed("m/dev/gone.yaml");
    assert_eq!(run.code, 2, "{}", run.stdout);
    let report = json(&run);
    assert_eq!(report["errors"][0]["file"], "m/dev/gone.yaml");
    assert!(report["errors"][0]["message"].as_str().unwrap().contains("does not exist"));
}

/// A passing `no X where C` rule is not noted as matching nothing: its noun
/// had subjects, none of which has C.
#[test]
fn a_passing_no_rule_is_not_noted_as_matching_nothing() {
    let (_dir, run) =
        check_rule_file("rule few {\n  no deployment where spec.replicas > 100\n}\n", &["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = json(&run);
    assert_eq!(report["summary"]["unmatched_rules"], serde_json::json!([]));
}

/// `--changed` reports a cross-env finding when only its counterpart's file
/// changed: the comparison depends on both sides.
#[test]
fn changed_mode_reports_findings_whose_counterpart_changed() {
    let dir = tempfile::tempdir().unwrap();
    replicas_tree(dir.path(), 2, 3);
    let rule =
        "every deployment as d in env prod with counterpart in env staging as s has spec.replicas >= s.spec.replicas";
    let run = parity_in(
        dir.path(),
        &["check", "--format", "json", "--changed", "--tree", "m", "--rule", rule, "--", "m/staging/d.yaml"],
        None,
        &[],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(keys(&json(&run)), ["cli-1 prod Deployment shop/web"]);
}
