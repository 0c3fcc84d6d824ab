use super::*;
use serde_json::json;

fn docs(text: &str) -> Parsed {
    match parse(text, "f.yaml", &Limits::default()) {
        Ok(p) => p,
        Err(e) => panic!("unexpected error: {e:?}"),
    }
}

fn err(text: &str, limits: &Limits) -> RunError {
    match parse(text, "f.yaml", limits) {
        Ok(p) => panic!("expected an error, got {:?}", p.docs),
        Err(e) => e,
    }
}

#[test]
fn multi_document_lines_and_offsets() {
    let text = "# header\napiVersion: v1\nkind: A\n---\n\n---\n# only a comment\n---\nkind: B\n...\n--- {kind: C}\n";
    let p = docs(text);
    let lines: Vec<u32> = p.docs.iter().map(|d| d.line).collect();
    assert_eq!(lines, vec![2, 9, 11]);
    for d in &p.docs {
        let at = &text[d.offset as usize..];
        assert!(at.starts_with("apiVersion") || at.starts_with("kind") || at.starts_with('{'), "{at}");
    }
    assert_eq!(p.value(2), json!({"kind": "C"}));
}

#[test]
fn offsets_are_bytes_with_multibyte_text() {
    let text = "a: \"héllo wörld\"\n---\nb: ü\n";
    let p = docs(text);
    assert_eq!(p.docs.len(), 2);
    assert_eq!(&text[p.docs[1].offset as usize..], "b: ü\n");
    assert_eq!(p.docs[1].line, 3);
}

#[test]
fn list_item_positions() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- kind: A\n  x: 1\n-   kind: B\n- [1]\nother: [9]\n";
    let p = docs(text);
    let d = &p.docs[0];
    let lines: Vec<u32> = d.items.iter().map(|i| i.line).collect();
    assert_eq!(lines, vec![4, 6, 7]);
    assert!(text[d.items[1].offset as usize..].starts_with("kind: B"));
}

#[test]
fn scalars_and_tags() {
    let p = docs("a: 1\nb: '1'\nc: ~\nd: true\ne: !!str 5\nf: !!int \"7\"\ng: '.inf'\nh: 0x10\ni: |\n  text\nj:\n");
    assert_eq!(
        p.value(0),
        json!({"a": 1, "b": "1", "c": null, "d": true, "e": "5", "f": 7, "g": ".inf", "h": 16, "i": "text\n", "j": null})
    );
    assert!(p.warnings.is_empty());
}

#[test]
fn yaml11_numbers_are_read_as_kubectl_reads_them_with_a_warning() {
    let p = docs("replicas: 1_000\nrunAsUser: 0b0\nmode: 010\nx: 0X1F\nok: 0x1F\nt: 190:20:30\nl: [0b11, 7]\n");
    assert_eq!(
        p.value(0),
        json!({"replicas": 1000, "runAsUser": 0, "mode": 8, "x": 31, "ok": 31, "t": "190:20:30", "l": [3, 7]})
    );
    let got: Vec<(u32, &str)> = p.warnings.iter().map(|w| (w.line, w.message.as_str())).collect();
    assert_eq!(
        got[0],
        (1, "unquoted `1_000` is read as the number 1000 by kubectl (YAML 1.1); quote it if you meant a string")
    );
    assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![1, 2, 3, 4, 7]);
    assert!(p.warnings.iter().all(|w| w.code == "parity::load::yaml11-number"));
}

#[test]
fn tags_are_read_as_kubectl_reads_them() {
    let p =
        docs("a: !!binary aGVsbG8=\nb: !!binary |\n  aGVs\n  bG8=\nc: !foo 10\nd: ! 10\ne: !!float 2\nf: !!int 0b11\n");
    assert_eq!(p.value(0), json!({"a": "hello", "b": "hello", "c": "10", "d": "10", "e": 2.0, "f": 3}));
    let codes: Vec<(u32, &str)> = p.warnings.iter().map(|w| (w.line, w.code.as_str())).collect();
    assert_eq!(codes, vec![(1, "parity::load::yaml-binary"), (2, "parity::load::yaml-binary")]);
    for (text, line, col, needle) in [
        ("a: 1\nb: !!int abc\n", 2, 4, "kubectl rejects `!!int abc`: cannot decode !!str `abc` as a !!int"),
        ("a: !!binary 'not base64'\n", 1, 4, "!!binary value contains invalid base64 data"),
        ("a: !!bool 1\n", 1, 4, "cannot decode !!int `1` as a !!bool"),
    ] {
        let e = err(text, &Limits::default());
        assert_eq!(
            (e.code.as_str(), e.file.as_str(), e.line, e.column),
            ("parity::load::yaml-tag", "f.yaml", line, col)
        );
        assert!(e.message.contains(needle), "{}", e.message);
    }
}

#[test]
fn inf_and_nan_values_are_errors_and_keys_are_text() {
    for text in ["a: .inf\n", "a: [1, -.Inf]\n", "a:\n  b: .NaN\n"] {
        let e = err(text, &Limits::default());
        assert_eq!(e.code, "parity::load::yaml-value", "{text}");
        assert!(e.message.contains("JSON cannot hold"), "{}", e.message);
    }
    let e = err("a: 1\nb: .nan\n", &Limits::default());
    assert_eq!((e.line, e.column), (2, 4));
    assert_eq!(docs("+.Inf: a\n-.INF: b\n.NaN: c\n").value(0), json!({".inf": "a", "-.inf": "b", ".nan": "c"}));
}

#[test]
fn merge_values_must_be_mappings() {
    for (text, line) in [("<<: 5\n", 1), ("a: 1\n<<: [ {b: 1}, x ]\n", 2), ("s: &s x\nm:\n  <<: *s\n", 3)] {
        let e = err(text, &Limits::default());
        assert_eq!((e.code.as_str(), e.line), ("parity::load::yaml-merge", line), "{text}");
    }
    // Quoted, it is an ordinary key; a list of mappings merges.
    let p = docs("'<<': 5\nm:\n  <<: [{a: 1}, {a: 2, b: 2}]\n");
    assert_eq!(p.value(0), json!({"<<": 5, "m": {"a": 1, "b": 2}}));
}

#[test]
fn yaml11_booleans_warn_and_quoted_stays_string() {
    let p = docs("a: yes\nb: \"yes\"\nc: Off\nd: 'on'\n");
    assert_eq!(p.value(0), json!({"a": true, "b": "yes", "c": false, "d": "on"}));
    let got: Vec<(u32, &str)> = p.warnings.iter().map(|w| (w.line, w.message.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (1, "unquoted `yes` is read as boolean true by kubectl (YAML 1.1); quote it if you meant a string"),
            (3, "unquoted `Off` is read as boolean false by kubectl (YAML 1.1); quote it if you meant a string"),
        ]
    );
    assert!(p.warnings.iter().all(|w| w.code == "parity::load::yaml11-bool" && w.file == "f.yaml"));
}

#[test]
fn non_string_keys_become_strings() {
    let p = docs("1: a\ntrue: b\n~: c\n[x, z]: d\n");
    assert_eq!(p.value(0), json!({"1": "a", "true": "b", "null": "c", "[\"x\",\"z\"]": "d"}));
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let p = docs("base: &b {x: 1, z: 2}\nuse: *b\nmerged:\n  <<: *b\n  z: 3\n");
    assert_eq!(p.value(0), json!({"base": {"x": 1, "z": 2}, "use": {"x": 1, "z": 2}, "merged": {"x": 1, "z": 3}}));
}

#[test]
fn duplicate_key_is_an_error() {
    let e = err("metadata:\n  name: a\n  labels: {}\n  name: b\n", &Limits::default());
    assert_eq!(e.code, "parity::load::duplicate-key");
    assert_eq!((e.line, e.column), (4, 3));
    assert_eq!(e.message, "duplicate key `name` in mapping (first at line 2)");
    assert_eq!(e.file, "f.yaml");
}

#[test]
fn alias_bomb_is_rejected() {
    let mut text = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(",");
        text.push_str(&format!("{}: &{} [{}]\n", w[1], w[1], refs));
    }
    let e = err(&text, &Limits::default());
    assert_eq!(e.code, "parity::load::alias-budget");
    assert_eq!(e.file, "f.yaml");
    assert!(e.line >= 6, "{e:?}");
}

#[test]
fn depth_limit() {
    let deep = format!("{}{}", "[".repeat(50), "]".repeat(50));
    let limits = Limits { max_depth: 20, ..Limits::default() };
    let e = err(&format!("a: 1\nb: {deep}\n"), &limits);
    assert_eq!(e.code, "parity::load::depth");
    assert_eq!(e.line, 2);
    assert!(parse(&format!("b: {deep}\n"), "f.yaml", &Limits::default()).is_ok());
}

#[test]
fn syntax_error_is_readable() {
    let e = err("a: [1, 2\nb: c\n", &Limits::default());
    assert_eq!(e.code, "parity::load::yaml");
    assert!(e.line >= 1 && e.column >= 1, "{e:?}");
    assert!(e.message.chars().next().is_some_and(|c| !c.is_uppercase()), "{}", e.message);
    assert!(!e.message.ends_with('.'));
}

#[test]
fn readable_messages() {
    assert_eq!(readable("Did not find expected key."), "did not find expected key");
}
