use std::path::Path;

use serde_json::Value as Json;

use super::super::locate::{PathSeg, field_line};
use super::super::yaml::{self, Limits, Parsed, Pos};
use super::parse;
use crate::report::Notice;
use crate::world::tree::NodeRef;

type Summary = (Vec<(Json, u32, u32, Vec<Pos>)>, Vec<Notice>);

fn summary(p: &Parsed) -> Summary {
    let docs = p.docs.iter().map(|d| (p.tree.get(d.root).to_json(), d.line, d.offset, d.items.clone())).collect();
    (docs, p.warnings.clone())
}

/// Whether the fast path answered; when it did, its answer must be the
/// general parser's.
fn agrees(text: &str) -> bool {
    let limits = Limits::default();
    let Some(fast) = parse(text, "f.yaml", &limits) else { return false };
    match yaml::parse_general(text, "f.yaml", &limits) {
        Ok(general) => assert_eq!(summary(&fast), summary(&general), "for:\n{text}"),
        Err(e) => panic!("the fast path accepted YAML the general parser rejects ({}):\n{text}", e.message),
    }
    for d in &fast.docs {
        lines_agree(text, d.offset as usize, fast.tree.get(d.root), &mut Vec::new());
    }
    true
}

/// Every line the fast path records for a node is the line the locator
/// (which findings fell back on before) finds for that node's path.
fn lines_agree(text: &str, doc_offset: usize, node: NodeRef, path: &mut Vec<PathSeg>) {
    if let Some(line) = node.line() {
        assert_eq!(Some(line), field_line(text, doc_offset, path), "line of {path:?} in:\n{text}");
    }
    if node.is_map() {
        for (k, child) in node.entries() {
            path.push(PathSeg::Key(k.to_string()));
            lines_agree(text, doc_offset, child, path);
            path.pop();
        }
    } else {
        for (i, child) in node.iter().enumerate() {
            path.push(PathSeg::Index(i));
            lines_agree(text, doc_offset, child, path);
            path.pop();
        }
    }
}

#[test]
fn records_the_line_of_every_node_it_can() {
    let text = "kind: Pod\nspec:\n  # c\n  containers:\n  - name: a\n    args: [x, y]\n  -\n    name: b\n  empty:\n";
    let p = parse(text, "f.yaml", &Limits::default()).expect("fast path");
    let root = p.tree.get(p.docs[0].root);
    let spec = root.get("spec").expect("spec");
    let containers = spec.get("containers").expect("containers");
    assert_eq!(root.line(), Some(1));
    assert_eq!(spec.line(), Some(4), "a nested mapping starts at its first key");
    assert_eq!(containers.line(), Some(5));
    assert_eq!(containers.at(0).and_then(|c| c.get("args")).and_then(|a| a.at(1)).and_then(NodeRef::line), Some(6));
    assert_eq!(containers.at(1).and_then(NodeRef::line), Some(8));
    assert_eq!(spec.get("empty").map(NodeRef::line), Some(None), "an empty value's line is left unknown");
    assert!(agrees(text));
}

#[test]
fn answers_like_the_general_parser_on_block_yaml() {
    let cases = [
        "a: 1\n",
        "a: 1",
        "# lead\n---\napiVersion: v1 # c\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    app: web\n\n  namespace: x\n",
        "---\n---\nkind: A\n--- # two\nkind: B\n...\n",
        "spec:\n  containers:\n  - name: a\n    image: nginx:1.25\n    ports:\n      - containerPort: 80\n        protocol: TCP\n  - name: b\n",
        "list:\n- 1\n- -2\n- 3.5\n- 0x10\n- true\n- ~\n- null\n- yes\n- 'q'\n- \"dq\"\n- {}\n- []\n",
        "a: {}\nb: []\nc:\nd: 'it s'\ne: \"x # not a comment\"\nf: x#y\ng: http://x/y\nh:  spaced   \n",
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: A\n-\n  apiVersion: v1\n  kind: B\n- kind: C\nmore: 1\n",
        "apiVersion: v1\nkind: List\nitems:\n  - kind: A\n  - kind: B\n",
        "kind: List\nitems: []\n",
        "- a\n- b:\n    c: 1\n- - x\n",
        "a:\n  - b\n  -\n    c: d\n",
        "key with spaces: v\nunicode: héllo wörld\n\"x\": 1\n",
        "a: b\n  # an indented comment\nc: d\n",
        "a: on\nb: 'on'\nc: Off\n",
        "args:\n  - --config=/etc/x.yml\n  - -v\nverbs: [get, list, \"watch\", 'x y', 1, yes, a-b.c/d_e]\nr: [ a ,b ] # c\n",
    ];
    let answered = cases.iter().filter(|c| agrees(c)).count();
    assert!(answered >= 13, "the fast path answered only {answered} of the cases");
}

#[test]
fn leaves_everything_else_to_the_general_parser() {
    for text in [
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: |\n  text\n",
        "a: >-\n  text\n",
        "a: multi\n  line\n",
        "a: [1, [2]]\n",
        "a: [1, ]\n",
        "- -]\n",
        "- [apkinat   $$   -, (((*b$$   -]\n",
        "r: [a b, c]\n",
        "a: 1\n  policyTyp{\"x\":\"y\"}#z,es:\n    - b\n",
        "k\"q: 1\n",
        "a: -,x\n",
        "a: [a: b]\n",
        "a: {b: 1}\n",
        "a: \"esc\\n\"\n",
        "a: 'it''s'\n",
        "a:\tb\n",
        "a: 1\r\nb: 2\r\n",
        "a: 1\na: 2\n",
        "<<: {a: 1}\n",
        "1: a\n",
        "? a\n: b\n",
        "%YAML 1.2\n---\na: 1\n",
        "just a scalar\n",
        "a: b: c\n",
        "a: \"unclosed\n",
        "a: 1\n- b\n",
        "a:\n    b: 1\n  c: 2\n",
        "\u{feff}a: 1\n",
        "kind: List\nitems: [a, b]\n",
        // Found by the fuzzer: a dash at the very end of the text (no line
        // break) once read a stale measurement of the line past it.
        "  -",
        "a:\n  -",
    ] {
        let limits = Limits::default();
        assert!(parse(text, "f.yaml", &limits).is_none(), "the fast path took:\n{text}");
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

/// The YAML files of the repository's examples, tests and fuzz seeds.
fn repository_yaml() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["examples", "rules/tests", "tests", "deploy", "fuzz/corpus"] {
        yaml_files(&root.join(dir), &mut files);
    }
    files
}

#[test]
fn agrees_on_every_yaml_file_of_the_repository() {
    let files = repository_yaml();
    assert!(files.len() > 50, "found only {} YAML files", files.len());
    let mut answered = 0;
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else { continue };
        if agrees(&text) {
            answered += 1;
        }
    }
    // Most manifests are plain block YAML: the fast path must take them.
    assert!(answered * 10 >= files.len() * 7, "fast path took {answered} of {} files", files.len());
}

/// YAML 1.1 numbers: both paths read them as kubectl does, with the same
/// warnings on the same lines.
#[test]
fn yaml11_numbers_agree_on_both_paths() {
    let cases = [
        "replicas: 1_000\nrunAsUser: 0b0\nmode: 010\nhex: 0X1F\nneg: -0b101\nf: 09\nok: 0o17\n",
        "ports: [1_000, 0b11, 010, 7]\nt: 190:20:30\nd: 2001-12-14\n",
        "spec:\n  containers:\n  - name: a\n    securityContext:\n      runAsUser: 0_0\n",
    ];
    for text in cases {
        assert!(agrees(text), "the fast path left:\n{text}");
        let p = parse(text, "f.yaml", &Limits::default()).expect("fast path");
        assert!(p.warnings.iter().any(|w| w.code == "parity::load::yaml11-number"), "{text}");
    }
    // `.inf`/`.nan` values are errors: only the general parser reports them.
    for text in ["a: .inf\n", "a: [.nan]\n"] {
        assert!(parse(text, "f.yaml", &Limits::default()).is_none(), "{text}");
        assert!(yaml::parse(text, "f.yaml", &Limits::default()).is_err(), "{text}");
    }
}
