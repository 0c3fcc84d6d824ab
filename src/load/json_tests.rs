use super::*;
use serde_json::json;

fn ok(text: &str) -> Parsed {
    match parse(text, "f.json") {
        Ok(p) => p,
        Err(e) => panic!("unexpected error {e:?}"),
    }
}

fn err(text: &str) -> RunError {
    match parse(text, "f.json") {
        Err(e) => e,
        Ok(p) => panic!("expected error, got {:?}", p.docs),
    }
}

#[test]
fn list_item_lines() {
    let text = r#"
{
  "apiVersion": "v1",
  "metadata": {"items": [1, 2]},
  "kind": "List",
  "items": [
    {"kind": "A", "s": "x]},\"{["},
    {
      "kind": "B"
    },  7, [ ]
  ]
}
"#;
    let p = ok(text);
    let d = &p.docs[0];
    assert_eq!(d.line, 2);
    let lines: Vec<u32> = d.items.iter().map(|i| i.line).collect();
    assert_eq!(lines, vec![7, 8, 10, 10]);
    assert!(text[d.items[0].offset as usize..].starts_with("{\"kind\": \"A\""));
    assert!(text[d.items[2].offset as usize..].starts_with('7'));
    assert_eq!(p.value(0)["items"].as_array().map(Vec::len), Some(4));
}

#[test]
fn snapshot_objects_are_tracked() {
    let text = "{\"kind\":\"Snapshot\",\"objects\":[\n{\"kind\":\"A\"},\n{\"kind\":\"B\"}],\"errors\":[]}";
    let p = ok(text);
    let lines: Vec<u32> = p.docs[0].items.iter().map(|i| i.line).collect();
    assert_eq!(lines, vec![2, 3]);
}

#[test]
fn plain_object_and_empty_file() {
    let p = ok("\n\n  {\"kind\": \"A\", \"items\": 3}");
    assert_eq!(p.docs[0].line, 3);
    assert!(p.docs[0].items.is_empty());
    assert_eq!(p.value(0), json!({"kind": "A", "items": 3}));
    assert!(ok("  \n").docs.is_empty());
    assert!(ok("null").docs.is_empty());
}

#[test]
fn syntax_error_has_position() {
    let e = err("{\n  \"a\": 1,\n  \"b\": ]\n}");
    assert_eq!(e.code, "parity::load::json");
    assert_eq!((e.file.as_str(), e.line, e.column), ("f.json", 3, 8));
    assert!(!e.message.contains(" at line "), "{}", e.message);
}

/// A key given twice in one object is an error, as in YAML (serde_json
/// would keep the last value; a finding would then point at the first).
#[test]
fn duplicate_key_is_an_error() {
    let e = err("{\"kind\": \"A\",\n \"data\": {\"b\": 1},\n \"data\": {\"b\": 2}}");
    assert_eq!(e.code, "parity::load::duplicate-key");
    assert_eq!(e.message, "duplicate key `data` in object");
    assert_eq!((e.file.as_str(), e.line), ("f.json", 3));
    // Equal keys in different objects are fine.
    assert!(parse("{\"a\": {\"b\": 1}, \"c\": {\"b\": 2}}", "f.json").is_ok());
}
