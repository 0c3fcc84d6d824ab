//! `parity test --crd FILE` (issue 17): a test case's envs see the
//! CustomResourceDefinitions given on the command line, as `check --crd`
//! does: `crd-exists` validates a custom resource whose env lacks its CRD
//! against the given one, and rule paths on its kind are checked against its
//! schema when the rules compile.

mod common;

use common::{parity_in, write_tree};

const WIDGETS: &str = "tests/fixtures/schema/crds/widgets.yaml";

const WIDGET: &str =
    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: web\nspec:\n  size: 3\n";
const BAD_WIDGET: &str =
    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: bad\n  namespace: web\nspec:\n  size: \"3\"\n";

/// A case folder: prod holds a valid and an invalid Widget and no CRD; the
/// case expects only the invalid one's finding, which needs the CRD.
fn case(dir: &std::path::Path) {
    let spec =
        "rules: [crd-exists]\nexpect:\n  - {rule: crd-exists, env: prod, kind: Widget, namespace: web, name: bad}\n";
    let widgets = format!("{WIDGET}---\n{BAD_WIDGET}");
    write_tree(dir, &[("cases/widget/parity-test.yaml", spec), ("cases/widget/prod/widgets.yaml", &widgets)]);
}

fn crd_path() -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(WIDGETS).to_string_lossy().into_owned()
}

#[test]
fn a_case_passes_with_the_crd_given_and_fails_without_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    case(dir.path());
    let crd = crd_path();
    let run = parity_in(dir.path(), &["test", "--crd", &crd, "cases"], None, &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("1 passed, 0 failed"), "{}", run.stdout);
    // Without the CRD the valid Widget lacks one too.
    let run = parity_in(dir.path(), &["test", "cases"], None, &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("unexpected: crd-exists in prod: Widget web/w"), "{}", run.stdout);
}

#[test]
fn rule_paths_on_a_given_crds_kind_are_checked_when_the_rules_compile() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = "rules: [big]\nexpect: []\n";
    let rules = "rule big {\n  every object where kind = \"Widget\" has spec.sise > 1\n}\n";
    write_tree(
        dir.path(),
        &[("rules/big.parity", rules), ("cases/w/parity-test.yaml", spec), ("cases/w/prod/w.yaml", WIDGET)],
    );
    let crd = crd_path();
    let run = parity_in(dir.path(), &["test", "--crd", &crd, "rules/big.parity", "cases"], None, &[]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("did you mean `size`?"), "{}", run.stderr);
    // Unchecked without it: the rule compiles (and the Widget has no
    // `spec.sise`, so the case fails rather than erring).
    let run = parity_in(dir.path(), &["test", "rules/big.parity", "cases"], None, &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
}

#[test]
fn an_unreadable_crd_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    case(dir.path());
    write_tree(dir.path(), &[("not-a-crd.yaml", WIDGET)]);
    let run = parity_in(dir.path(), &["test", "--crd", "not-a-crd.yaml", "cases"], None, &[]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("not-a-crd.yaml"), "{}", run.stderr);
    assert!(run.stderr.contains("not a CustomResourceDefinition"), "{}", run.stderr);
}
