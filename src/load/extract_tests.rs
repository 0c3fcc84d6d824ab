use super::*;
use serde_json::json;

fn load(text: &str) -> FileLoad {
    load_text(text, "f.yaml", false, &Limits::default())
}

#[test]
fn documents_and_list_items() {
    let text = "\
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
apiVersion: apps/v1
kind: DeploymentList
items:
- metadata: {name: d1}
- apiVersion: apps/v1beta1
  kind: Deployment
  metadata: {name: d2}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: s}
";
    let out = load(text);
    assert!(out.errors.is_empty() && out.skipped.is_empty(), "{:?} {:?}", out.errors, out.skipped);
    let got: Vec<(u32, &str, &str)> = out
        .objects
        .iter()
        .map(|o| {
            let v = out.value(o);
            (o.line, v.str_field("apiVersion").unwrap_or(""), v.str_field("kind").unwrap_or(""))
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "v1", "ConfigMap"),
            (8, "apps/v1", "Deployment"),
            (9, "apps/v1beta1", "Deployment"),
            (16, "v1", "Service"),
        ]
    );
    assert!(text[out.objects[2].offset as usize..].starts_with("apiVersion: apps/v1beta1"));
}

#[test]
fn not_kubernetes_is_skipped_with_notice() {
    let out = load("apiVersion: v1\nkind: A\n---\nfoo: bar\n---\njust a string\n");
    assert_eq!(out.objects.len(), 1);
    let lines: Vec<u32> = out.skipped.iter().map(|n| n.line).collect();
    assert_eq!(lines, vec![4, 6]);
    assert!(out.skipped.iter().all(|n| n.code == "parity::load::not-kubernetes"
        && n.message == "document is not a Kubernetes object (no `apiVersion`/`kind`)"));
}

#[test]
fn helm_template_is_skipped_whole() {
    // `{{` where a value starts: YAML reads a mapping with a mapping key.
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n";
    let out = load(text);
    assert!(out.objects.is_empty());
    assert_eq!(out.skipped.len(), 1);
    assert_eq!(out.skipped[0].code, "parity::load::helm-template");
    assert_eq!(out.skipped[0].line, 4);
    // Not YAML at all, with `{{` in it.
    let out = load("{{- if .Values.on }}\napiVersion: v1\nkind: ConfigMap\n{{- end }}\n");
    assert_eq!(
        out.skipped.iter().map(|n| (n.code.as_str(), n.line)).collect::<Vec<_>>(),
        [("parity::load::helm-template", 1)]
    );
    // A YAML error without `{{` stays an error.
    assert_eq!(load("a: [\n").errors.len(), 1);
}

#[test]
fn yaml_holding_braces_is_loaded_and_helm_calls_warned() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    note: see{{docs}}\n    \
                d: value - {{ $value }}\ndata:\n  image: \"{{ .Values.image }}\"\n  list: [\"{{ include \\\"x\\\" . }}\"]\n";
    let out = load(text);
    assert!(out.skipped.is_empty() && out.errors.is_empty(), "{:?} {:?}", out.skipped, out.errors);
    assert_eq!(out.objects.len(), 1);
    let json = out.value(&out.objects[0]).to_json();
    assert_eq!(json["metadata"]["annotations"]["note"], json!("see{{docs}}"));
    assert_eq!(json["data"]["image"], json!("{{ .Values.image }}"));
    assert_eq!(
        out.warnings.iter().map(|n| (n.code.as_str(), n.line)).collect::<Vec<_>>(),
        [("parity::load::helm-syntax", 9)]
    );
    // Prometheus templates are not Helm calls: no warning.
    assert!(load("apiVersion: v1\nkind: A\nmetadata: {name: b}\nx: failed for {{ $labels.ns }}\n").warnings.is_empty());
}

#[test]
fn braces_in_comments_strings_and_blocks_are_not_helm() {
    let text = "\
# {{ not a template }}
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: r}  # {{ .Values.x }}
spec:
  summary: \"{{ $labels.instance }} down\"
  description: |
    value {{ $value }}
    {{ range $x }}
";
    let out = load(text);
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    assert_eq!(out.objects.len(), 1);
    assert_eq!(
        out.value(&out.objects[0]).to_json()["spec"]["description"],
        json!("value {{ $value }}\n{{ range $x }}\n")
    );
}

#[test]
fn snapshot_file() {
    let text = r#"{"apiVersion": "parity.dev/v1", "kind": "Snapshot", "context": "prod-eu",
 "serverVersion": "v1.30.4", "time": "2024-01-01T00:00:00Z",
 "objects": [
  {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}},
  {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "web"}}
 ],
 "errors": ["secrets is forbidden"]}"#;
    let out = load_text(text, "snap.json", true, &Limits::default());
    let snap = out.snapshot.clone().unwrap_or_default();
    assert_eq!(snap.context.as_deref(), Some("prod-eu"));
    assert_eq!(snap.server_version.as_deref(), Some("v1.30.4"));
    let lines: Vec<u32> = out.objects.iter().map(|o| o.line).collect();
    assert_eq!(lines, vec![4, 5]);
    assert_eq!(out.warnings.len(), 1);
    assert!(out.warnings[0].message.contains("secrets is forbidden"));
}

/// Every node index in the subtree at `n`, by a walk.
fn subtree_min(n: crate::world::tree::NodeRef) -> u32 {
    n.iter().map(subtree_min).fold(n.index(), u32::min)
}

#[test]
fn an_objects_lowest_node_is_the_lowest_of_its_subtree_in_every_style() {
    // `Tree::lowest` finds it without a walk (the tree is built bottom-up);
    // `Object::warm` reads the nodes from there to the root.
    let texts = [
        "apiVersion: v1\nkind: A\nb: {c: [1, {d: 2}], e: {}}\nz: [[], [1]]\n---\napiVersion: v1\nkind: X\nmetadata: {name: n}\nspec: {x: [{y: 1}]}\n",
        "\"kind\": \"B\"\n\"b\": {\"k\": 'v'}\n\"apiVersion\": [1, 2]\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: A, spec: {p: [1]}}\n- apiVersion: v1\n  kind: B\n  m: {n: {o: 1}}\n",
        "apiVersion: v1\nkind: C\nkey: |\n  text\nother:\n  - x: 1\n    y: [a, b]\n---\napiVersion: v1\nkind: D\n",
    ];
    for text in texts {
        let out = load(text);
        assert!(out.errors.is_empty(), "{text}: {:?}", out.errors);
        assert!(out.objects.len() >= 2, "{text}: {} objects", out.objects.len());
        for o in &out.objects {
            let root = out.tree.get(o.root);
            assert_eq!(out.tree.lowest(o.root), subtree_min(root), "{text}: object at line {}", o.line);
        }
        let json = serde_json::to_string(&json!({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "A", "a": {"b": [1, {"c": 2}]}},
            {"apiVersion": "v1", "kind": "B", "d": []}
        ]}))
        .expect("json");
        let out = load_text(&json, "f.json", true, &Limits::default());
        assert_eq!(out.objects.len(), 2);
        for o in &out.objects {
            assert_eq!(out.tree.lowest(o.root), subtree_min(out.tree.get(o.root)));
        }
    }
}
