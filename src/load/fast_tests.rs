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
        "a: [a b, c]\n",
        "a: >\n  x\n    more\n",
        "a: |2\n   x\n",
        "a: |\n  x",
        "a: [\n1]\n",
        "- {\n b: 1,\n}\n",
        "a:\n  b: [\n    1,\n ]\n",
        "a: \"multi\n  line\"\n",
        "{a: 1}\n- b\n",
        "a: !!str 1\n",
        "a: multi\n  line\n",
        "- -]\n",
        "- [apkinat   $$   -, (((*b$$   -]\n",
        "r: [a b, c]\n",
        "a: 1\n  policyTyp{\"x\":\"y\"}#z,es:\n    - b\n",
        "k\"q: 1\n",
        "a: -,x\n",
        "a: [a: b]\n",
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
        // Found by the fuzzer: a dash at the very end of the text (no line
        // break) once read a stale measurement of the line past it.
        "  -",
        "a:\n  -",
    ] {
        assert!(!took(text), "the fast path took:\n{text}");
    }
}

/// Whether the fast path read every document of `text` itself (it hands a
/// document it does not take to the general parser, and then the tree's
/// lines are incomplete), after checking that its answer is the general
/// parser's.
fn took(text: &str) -> bool {
    agrees(text) && parse(text, "f.yaml", &Limits::default()).is_some_and(|p| !p.tree.lines_incomplete())
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

/// Every common style is read by the fast path itself, with the general
/// parser's answer (`took` checks both).
#[test]
fn takes_every_common_style() {
    let cases = [
        // Quoted keys and values, with escapes.
        "\"app.kubernetes.io/name\": \"web\"\n'q': 'it''s'\nesc: \"a\\tb\\n\\\"c\\\" \\u00e9 \\x41 \\\\ \\/\"\n\"\": empty\n",
        "metadata:\n  labels:\n    \"helm.sh/chart\": \"web-1.2.3\"\n    'a b': \"yes\"\n  \"name\": \"x # not a comment\"\n",
        "- \"k\": v\n  \"n\": 1\n- 'x'\n",
        // Block scalars with chomping indicators.
        "a: |\n  line 1\n\n  line 3\n    indented\nb: >\n  folded\n  text\n\n  para\nc: |-\n  strip\n\n\nd: |+\n  keep\n\n\ne: >-\n  x\n",
        "data:\n  script.sh: |\n    #!/bin/sh\n    echo \"hi\" # not a comment\n  # a comment\n  other: |\n\n    after a blank line\n",
        "- |\n  item\n- >+\n  kept\n\n- x\n",
        "a: |\nb: 1\nc: >+\n\nd: 2\n",
        // Flow collections with content, on one line or several.
        "a: [1, [2, 3], {b: c, d: [e]}]\nb: {x: 1, 'y': \"z\", \"w\":2,}\nc: [a, b, ]\n",
        "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"c\"}, \"data\": {\"k\": \"v\"}}\n",
        "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n    {\"kind\": \"A\"},\n    {\n      \"kind\": \"B\" # c\n    }\n  ]\n}\n",
        "[1, 2, 3]\n---\n{a: b}\n",
        "kind: List\nitems: [{kind: A}, {kind: B}]\n",
        "spec:\n  ports: [\n    {port: 80, name: http},\n    {port: 443}\n    ]\n",
        // Comments anywhere, document markers.
        "# Source: chart/templates/a.yaml\n---\n# c\napiVersion: v1 # c\n---\n# Source: b.yaml\nkind: B\n",
    ];
    for text in cases {
        assert!(took(text), "the fast path left:\n{text}");
    }
    mutations_agree(&cases);
}

/// Every one-byte deletion from `cases`, and every insertion of a byte YAML
/// gives meaning to, reads the same on both paths where the fast path
/// answers (a small, deterministic relative of the fuzz target).
fn mutations_agree(cases: &[&str]) {
    let specials = b" \n:-\"'#,[]{}|>\\&*!?%0";
    for text in cases {
        let b = text.as_bytes();
        for i in 0..=b.len() {
            let mut variants = Vec::new();
            if i < b.len() {
                variants.push([&b[..i], &b[i + 1..]].concat());
            }
            for &c in specials {
                variants.push([&b[..i], &[c], &b[i..]].concat());
            }
            for v in variants {
                if let Ok(v) = String::from_utf8(v) {
                    agrees(&v);
                }
            }
        }
    }
}

/// A document the fast path does not take goes to the general parser
/// alone: the others are still read fast, and the answer is the general
/// parser's for the whole file (positions and warnings of later documents
/// included).
#[test]
fn hands_one_document_at_a_time_to_the_general_parser() {
    let text = "a: yes\n---\nbase: &b {x: 1}\nm:\n  <<: *b\n  z: on\n--- !!map\nt: 1\n---\nkind: List\nitems:\n- kind: A\n  v: off\n";
    assert!(agrees(text));
    let p = parse(text, "f.yaml", &Limits::default()).expect("the fast path answers");
    assert_eq!(p.docs.len(), 4);
    assert!(p.tree.lines_incomplete() && !p.tree.records_lines(), "the general documents' lines are in the text");
    assert_eq!(p.tree.get(p.docs[1].root).get("m").map(NodeRef::to_json), Some(serde_json::json!({"x": 1, "z": true})));
    assert_eq!(p.warnings.iter().map(|w| w.line).collect::<Vec<_>>(), vec![1, 6, 13]);
    // An error in any document: the general parser reads the whole file.
    assert!(parse("a: 1\n---\nb: [\n---\nc: 1\n", "f.yaml", &Limits::default()).is_none());
    assert!(parse("a: 1\n---\nb: *nowhere\n", "f.yaml", &Limits::default()).is_none());
    // The alias budget is one per file, across the documents.
    let limits = Limits { max_alias_nodes: 3, ..Limits::default() };
    let two = "a: &a [1]\nb: [*a, *a]\n---\nc: &c [1]\nd: [*c, *c]\n";
    assert!(parse(two, "f.yaml", &limits).is_none());
    assert!(yaml::parse(two, "f.yaml", &limits).is_err());
}

#[test]
fn finds_closing_quotes_as_a_byte_by_byte_scan_does() {
    // A scan byte by byte: the reference for the word-at-a-time search.
    fn reference(s: &[u8]) -> Option<(usize, bool)> {
        let quote = s[0];
        let (mut i, mut escaped) = (1, false);
        while i < s.len() {
            match s[i] {
                b'\\' if quote == b'"' => (i, escaped) = (i + 2, true),
                c if c == quote && s.get(i + 1) == Some(&quote) && quote == b'\'' => (i, escaped) = (i + 2, true),
                c if c == quote => return Some((i, escaped)),
                _ => i += 1,
            }
        }
        None
    }
    // Every position of a quote, a backslash and a non-ASCII letter in
    // scalars of 1 to 70 bytes (across the 8-byte words and the 32-byte
    // switch to memchr2).
    for quote in [b'"', b'\''] {
        for len in 1..70 {
            for at in 0..len {
                for c in [quote, b'\\', 0xc3] {
                    let mut s = vec![quote];
                    s.extend(std::iter::repeat_n(b'a', len));
                    s[1 + at] = c;
                    if c == 0xc3 {
                        s.insert(2 + at, 0xa9);
                    }
                    for tail in [&b""[..], b"\"", b"'", b"\\\"", b"'' x'"] {
                        let mut t = s.clone();
                        t.extend_from_slice(tail);
                        assert_eq!(super::styles::quoted_end(&t), reference(&t), "{}", String::from_utf8_lossy(&t));
                    }
                }
            }
        }
    }
}
