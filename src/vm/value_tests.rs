use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::json;

use super::{Val, into_set, json_text, to_json};
use crate::world::Quantity;
use crate::world::tree::Tree;

#[test]
fn json_text_is_the_text_of_to_json() {
    let doc = json!({
        "z": [1, -2, 3.5, 1.0, 1e300, 18446744073709551615u64, null, true, "q\"\n\u{1}é"],
        "a": {"nested": {"k": []}, "e": {}},
        "ports": [{"port": 80, "protocol": "TCP"}, {"port": 443}],
    });
    let (tree, root) = Tree::from_json(&doc);
    let node = tree.get(root);
    let mut map = BTreeMap::new();
    map.insert("b".to_string(), Val::Num(2.5));
    map.insert("a".to_string(), Val::J(node));
    let values = [
        Val::J(node),
        Val::J(node.get("ports").expect("ports")),
        Val::Absent,
        Val::Null,
        Val::Bool(false),
        Val::Num(80.0),
        Val::Num(-0.5),
        Val::Num(1e16),
        Val::Num(f64::NAN),
        Val::S("tab\there"),
        Val::str("x"),
        Val::Qty(Quantity::parse("512Mi").expect("quantity")),
        Val::List(Rc::new(vec![Val::Num(1.0), Val::str("TCP"), Val::J(node.get("a").expect("a"))])),
        Val::Map(Rc::new(map)),
    ];
    for v in &values {
        assert_eq!(json_text(v), to_json(v).to_string(), "for {v:?}");
    }
}

#[test]
fn sets_of_lists_sort_and_deduplicate_by_json_text() {
    let pair = |p: f64, proto: &str| Val::List(Rc::new(vec![Val::Num(p), Val::str(proto)]));
    let set = into_set(vec![pair(443.0, "TCP"), pair(80.0, "UDP"), pair(443.0, "TCP"), Val::Absent, pair(80.0, "TCP")]);
    let texts: Vec<String> = set.iter().map(json_text).collect();
    assert_eq!(texts, [r#"[443,"TCP"]"#, r#"[80,"TCP"]"#, r#"[80,"UDP"]"#]);
}

#[test]
fn values_stay_small() {
    // Every evaluation step moves values: a quantity's i128 once made them
    // 32 bytes, 16-aligned.
    assert!(size_of::<Val>() <= 24, "Val is {} bytes", size_of::<Val>());
}
