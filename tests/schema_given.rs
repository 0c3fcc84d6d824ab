//! Issue 17's remaining pieces, end to end: CustomResourceDefinitions given
//! with `--crd FILE` (and parity.toml `crds`) for `crd-exists` and for
//! compile-time path checks on custom kinds, and comparisons typed by the
//! schemas (a string literal against a quantity field compares as a
//! quantity).

mod common;

use common::{json, parity, parity_in, write_tree};

const TREE: &str = "tests/fixtures/schema/given";
const WIDGETS: &str = "tests/fixtures/schema/crds/widgets.yaml";
const GADGETS: &str = "tests/fixtures/schema/crds/gadgets-list.json";

/// (env, line, message) of every crd-exists finding, sorted.
fn crd_findings(run: &common::Run) -> Vec<(String, u64, String)> {
    let report = json(run);
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "crd-exists")
        .map(|f| {
            (
                f["env"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn no_crd(env: &str, line: u64, what: &str, kind: &str, group: &str) -> (String, u64, String) {
    (
        env.to_string(),
        line,
        format!(
            "{what}: no CustomResourceDefinition in this env defines kind {kind} in group {group}; if another tool or chart installs it, give it with --crd FILE or parity.toml `crds`"
        ),
    )
}

#[test]
fn without_crd_files_every_custom_resource_of_prod_lacks_its_crd() {
    let run = parity(&["check", "--format", "json", "--select", "crd-exists", TREE]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        crd_findings(&run),
        [
            no_crd("prod", 1, "Widget web/bad", "Widget", "example.com"),
            no_crd("prod", 10, "Widget web/good", "Widget", "example.com"),
            no_crd("prod", 19, "Gadget web/fast", "Gadget", "example.com"),
            no_crd("prod", 27, "Gadget web/typo", "Gadget", "example.com"),
            no_crd("prod", 35, "Certificate web/web-tls", "Certificate", "cert-manager.io"),
        ]
    );
}

#[test]
fn crd_files_validate_custom_resources_whose_env_lacks_the_crd() {
    // One YAML file with one CRD, one JSON `List` with another (two
    // versions); staging keeps its own Widget CRD, which wins there.
    let run =
        parity(&["check", "--format", "json", "--select", "crd-exists", "--crd", WIDGETS, "--crd", GADGETS, TREE]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        crd_findings(&run),
        [
            (
                "prod".to_string(),
                8,
                "Widget web/bad: spec.colour: unknown field `colour`; did you mean `color`?; spec.size: must be of type integer"
                    .to_string()
            ),
            (
                "prod".to_string(),
                33,
                "Gadget web/typo: spec.speed: unknown field `speed`".to_string()
            ),
            no_crd("prod", 35, "Certificate web/web-tls", "Certificate", "cert-manager.io"),
        ]
    );
}

#[test]
fn parity_toml_crds_are_relative_to_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let widgets = std::fs::read_to_string(WIDGETS).expect("fixture");
    let resources = std::fs::read_to_string(format!("{TREE}/prod/resources.yaml")).expect("fixture");
    write_tree(
        dir.path(),
        &[
            ("parity.toml", "crds = [\"crds\"]\n\n[[env]]\nname = \"prod\"\nsource = \"prod\"\n"),
            ("crds/widgets.yaml", &widgets),
            ("prod/resources.yaml", &resources),
        ],
    );
    let run = parity_in(dir.path(), &["check", "--format", "json", "--select", "crd-exists"], None, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let got = crd_findings(&run);
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got[0].2.starts_with("Widget web/bad: spec.colour: unknown field"), "{got:?}");
    assert!(!got.iter().any(|f| f.2.starts_with("Widget web/good")), "{got:?}");
}

#[test]
fn a_bad_crd_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let resources = std::fs::read_to_string(format!("{TREE}/prod/resources.yaml")).expect("fixture");
    write_tree(
        dir.path(),
        &[
            ("prod/resources.yaml", &resources),
            ("broken.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: [unclosed\n"),
            ("deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"),
            ("empty.yaml", "# nothing here\n"),
            (
                "nokind.yaml",
                "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: x.example.com\nspec:\n  group: example.com\n",
            ),
        ],
    );
    for (file, wanted) in [
        ("broken.yaml", "broken.yaml"),
        ("deploy.yaml", "deploy.yaml:1: holds a Deployment (apps/v1), not a CustomResourceDefinition"),
        ("empty.yaml", "empty.yaml: holds no CustomResourceDefinition"),
        ("nokind.yaml", "nokind.yaml:1: CustomResourceDefinition without spec.names.kind"),
        ("missing.yaml", "missing.yaml"),
    ] {
        let run = parity_in(dir.path(), &["check", "--format", "json", "--crd", file, "prod"], None, &[]);
        assert_eq!(run.code, 2, "{file}: {}", run.stderr);
        let report = json(&run);
        let errors: Vec<String> = report["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| {
                format!("{}:{}: {}", e["file"].as_str().unwrap_or(""), e["line"], e["message"].as_str().unwrap_or(""))
            })
            .collect();
        let errors = errors.join("\n").replace(":0: ", ": ");
        assert!(errors.contains(wanted), "{file}: want {wanted:?} in\n{errors}");
        // The findings of the good files are still reported.
        assert!(!report["findings"].as_array().expect("findings").is_empty(), "{file}");
    }
}

#[test]
fn paths_on_custom_kinds_are_checked_against_a_given_crd() {
    let typo = "every object where kind = \"Widget\" has spec.sise > 1";
    let run = parity(&["check", "--no-stdlib", "--crd", WIDGETS, "--rule", typo, TREE]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "`spec.sise` on widget names a field its CustomResourceDefinition (--crd) does not have: `sise` (help: did you mean `size`?)"
        ),
        "{}",
        run.stdout
    );
    // A noun definition filtered to the kind, and the CRD's other version.
    let rules = "noun gadget = object where kind = \"Gadget\" and apiVersion starts with \"example.com/\"\n\
                 rule fast {\n  every gadget has spec.sped > 1\n}\n";
    let dir = tempfile::tempdir().expect("temp dir");
    write_tree(dir.path(), &[("rules/fast.parity", rules)]);
    let rules_path = dir.path().join("rules/fast.parity");
    let run = parity(&["check", "--no-stdlib", "--crd", GADGETS, "--rules", rules_path.to_str().expect("utf-8"), TREE]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `speed`?"), "{}", run.stderr);
    // Known fields, free keys, kept-unknown fields, metadata and the
    // resource's own apiVersion/kind compile; without --crd nothing on a
    // custom kind is checked.
    for ok in [
        "every object where kind = \"Widget\" has spec.size > 1",
        "every object where kind = \"Widget\" has spec.labels.anything",
        "every object where kind = \"Widget\" has spec.extra.any.depth",
        "every object where kind = \"Widget\" has metadata.labels.team and apiVersion exists and kind = \"Widget\"",
        "every object where kind = \"Widget\" or kind = \"Gadget\" has spec.size or spec.velocity or spec.speed",
    ] {
        let run = parity(&[
            "check",
            "--no-stdlib",
            "--format",
            "json",
            "--crd",
            WIDGETS,
            "--crd",
            GADGETS,
            "--rule",
            ok,
            TREE,
        ]);
        assert!(run.code < 2, "{ok}: {}", run.stderr);
    }
    let run = parity(&["check", "--no-stdlib", "--format", "json", "--rule", typo, TREE]);
    assert!(run.code < 2, "{}", run.stderr);
    let run = parity(&[
        "check",
        "--no-stdlib",
        "--crd",
        WIDGETS,
        "--rule",
        "every object where kind = \"Widget\" has metadata.lables.x",
        TREE,
    ]);
    assert!(run.stderr.contains("did you mean `labels`?"), "{}", run.stderr);
}

#[test]
fn object_filtered_to_a_built_in_kind_is_checked_like_the_kind() {
    let run = parity(&["compile", "--explain", "every object where kind = \"Deployment\" has spec.replica > 1"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("`spec.replica` on deployment"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `replicas`?"), "{}", run.stderr);
    // Another filter, or `kind != ...`, does not narrow the type.
    for ok in [
        "every object where kind != \"Deployment\" has spec.replica > 1",
        "every object where name(it) = \"Deployment\" has spec.replica > 1",
    ] {
        let run = parity(&["compile", "--explain", ok]);
        assert_eq!(run.code, 0, "{ok}: {}", run.stderr);
    }
}

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: big
  namespace: a
spec:
  containers:
    - name: app
      image: app:1
      ports:
        - containerPort: 8080
      resources:
        limits:
          memory: 2048Mi
          cpu: \"1\"
      readinessProbe:
        httpGet:
          port: 8080
";

/// The exit code, number of findings and error messages of one rule body
/// over the pod above.
fn fires(rule: &str) -> (i32, usize, String) {
    let run = common::parity_with(&["check", "--no-stdlib", "--format", "json", "--rule", rule, "-"], Some(POD), &[]);
    let report = json(&run);
    let errors: Vec<&str> =
        report["errors"].as_array().expect("errors").iter().map(|e| e["message"].as_str().unwrap_or("")).collect();
    (run.code, report["findings"].as_array().expect("findings").len(), errors.join("\n"))
}

#[test]
fn a_string_literal_compares_with_a_quantity_field_as_a_quantity() {
    // 2048Mi is 2Gi: above "1Gi", equal to "2Gi", not equal as text.
    for (rule, findings) in [
        ("no pod has some container with resources.limits.memory > \"1Gi\"", 1),
        ("no pod has some container with resources.limits.memory = \"2Gi\"", 1),
        ("no pod has some container with \"2Gi\" = resources.limits.memory", 1),
        ("no pod has some container with resources.limits.memory > \"3Gi\"", 0),
        ("no pod has some container with resources.limits.cpu >= \"1000m\"", 1),
        ("no pod has some container with resources.limits.cpu < \"999m\"", 0),
        // The usual rules elsewhere: `string(...)` compares the text.
        ("no pod has some container with string(resources.limits.memory) = \"2Gi\"", 0),
        ("no pod has some container with string(resources.limits.memory) = \"2048Mi\"", 1),
        // An int-or-string field keeps the usual rules: a number literal
        // compares with the integer, a string literal as text (the integer
        // 8080 reads as "8080"; a named port as its name).
        ("no pod has some container with readinessProbe.httpGet.port = 8080", 1),
        ("no pod has some container with readinessProbe.httpGet.port = \"8080\"", 1),
        ("no pod has some container with readinessProbe.httpGet.port = \"http\"", 0),
    ] {
        let (code, n, stderr) = fires(rule);
        assert!(code < 2, "{rule}: {stderr}");
        assert_eq!(n, findings, "{rule}");
    }
}

#[test]
fn a_string_that_is_no_quantity_against_a_quantity_field_is_a_compile_error() {
    let (code, _, stderr) = fires("no pod has some container with resources.limits.memory = \"lots\"");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "`resources.limits.memory` is a quantity field in the Kubernetes schemas, and \"lots\" is not a quantity"
        ),
        "{stderr}"
    );
}
