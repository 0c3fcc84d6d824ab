//! CustomResourceDefinitions given with `--crd` decide whether their kind is
//! namespaced (issue 17): an object of a given `scope: Namespaced` kind
//! without `metadata.namespace` is in its env's default namespace, as for a
//! built-in namespaced kind or a kind whose CRD the env holds; a
//! `Cluster` one stays without; an env's own CRD wins over a given one.

mod common;

use common::{json, parity_in, write_tree};

const WIDGETS: &str = "tests/fixtures/schema/crds/widgets.yaml";

const KNOB_CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: knobs.example.com\nspec:\n  group: example.com\n  scope: Cluster\n  names:\n    kind: Knob\n    plural: knobs\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n          type: object\n          x-kubernetes-preserve-unknown-fields: true\n";

const LOOSE: &str = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: loose\nspec:\n  size: 1\n---\napiVersion: example.com/v1\nkind: Knob\nmetadata:\n  name: k\n";

/// prod holds its own Widget CRD, cluster-scoped.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let widgets = std::fs::read_to_string(WIDGETS).expect("fixture");
    let own = widgets.replace("scope: Namespaced", "scope: Cluster");
    let config = "[[env]]\nname = \"dev\"\nsource = \"dev\"\nnamespace = \"team\"\n\n[[env]]\nname = \"prod\"\nsource = \"prod\"\n";
    write_tree(
        dir.path(),
        &[
            ("parity.toml", config),
            ("crds/widgets.yaml", &widgets),
            ("crds/knobs.yaml", KNOB_CRD),
            ("dev/loose.yaml", LOOSE),
            ("prod/loose.yaml", LOOSE),
            ("prod/crd.yaml", &own),
        ],
    );
    dir
}

/// (env, kind, namespace) of each Widget and Knob, from a rule that every
/// one of them breaks.
fn placed(dir: &std::path::Path, crds: &[&str]) -> Vec<String> {
    let mut args = vec!["check", "--no-stdlib", "--format", "json"];
    for c in crds {
        args.extend(["--crd", c]);
    }
    args.extend([
        "--rule",
        "every object where kind = \"Widget\" or kind = \"Knob\" has metadata.namespace = \"nowhere\"",
    ]);
    let run = parity_in(dir, &args, None, &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let mut out: Vec<String> = json(&run)["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{} {} {:?}",
                f["env"].as_str().unwrap_or(""),
                f["kind"].as_str().unwrap_or(""),
                f["namespace"].as_str().unwrap_or("")
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_given_crds_scope_decides_where_its_objects_without_a_namespace_are() {
    let dir = tree();
    assert_eq!(
        placed(dir.path(), &["crds/widgets.yaml", "crds/knobs.yaml"]),
        [r#"dev Knob """#, r#"dev Widget "team""#, r#"prod Knob """#, r#"prod Widget """#]
    );
    // parity.toml `crds` is the same.
    let config = std::fs::read_to_string(dir.path().join("parity.toml")).expect("config");
    std::fs::write(dir.path().join("parity.toml"), format!("crds = [\"crds\"]\n\n{config}")).expect("write");
    assert_eq!(
        placed(dir.path(), &[]),
        [r#"dev Knob """#, r#"dev Widget "team""#, r#"prod Knob """#, r#"prod Widget """#]
    );
}

#[test]
fn without_a_given_crd_a_custom_kind_stays_as_written() {
    let dir = tree();
    assert_eq!(placed(dir.path(), &[]), [r#"dev Knob """#, r#"dev Widget """#, r#"prod Knob """#, r#"prod Widget """#]);
}
