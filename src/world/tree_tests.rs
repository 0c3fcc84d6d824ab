use serde_json::json;

use super::*;

#[test]
fn round_trips_json_with_sorted_keys() {
    let value = json!({"b": [1, -2, 3.5, "x", null, true], "a": {"z": {}, "y": []}, "c": 18446744073709551615u64});
    let (tree, root) = Tree::from_json(&value);
    assert_eq!(tree.get(root).to_json(), value);
    let keys: Vec<&str> = tree.get(root).entries().map(|(k, _)| k).collect();
    assert_eq!(keys, ["a", "b", "c"]);
}

#[test]
fn looks_up_keys_and_elements() {
    let (tree, root) =
        Tree::from_json(&json!({"metadata": {"name": "web", "labels": {"app": "web"}}, "items": [1, 2]}));
    let r = tree.get(root);
    assert_eq!(r.get("metadata").and_then(|m| m.str_field("name")), Some("web"));
    assert_eq!(r.get("nope"), None);
    let (tree, root) = Tree::from_json(&json!({"": 1, "a": 2}));
    assert_eq!(tree.get(root).get("").and_then(NodeRef::as_f64), Some(1.0));
    assert_eq!(r.get("items").and_then(|i| i.at(1)).and_then(NodeRef::as_f64), Some(2.0));
    assert_eq!(r.get("items").and_then(|i| i.at(2)), None);
    assert_eq!(r.get("items").map(NodeRef::len), Some(2));
}

#[test]
fn closing_a_map_keeps_the_first_or_last_of_equal_keys() {
    for (keep, want) in [(KeepKey::First, 1), (KeepKey::Last, 2)] {
        let mut b = Builder::default();
        let mark = b.mark();
        for (k, v) in [("b", 1), ("a", 0), ("b", 2)] {
            let key = b.text(k);
            b.push(key, Node::Int(v));
        }
        let map = b.close_map(mark, keep);
        let root = b.root(map);
        let tree = b.finish();
        assert_eq!(tree.get(root).to_json(), json!({"a": 0, "b": want}));
    }
}

#[test]
fn with_entries_sets_keys_on_a_copy() {
    let (mut tree, root) = Tree::from_json(&json!({"kind": 3, "metadata": {}}));
    let copy = tree.with_entries(root, &[("apiVersion", "v1"), ("kind", "Service")]);
    assert_eq!(tree.get(copy).to_json(), json!({"apiVersion": "v1", "kind": "Service", "metadata": {}}));
    assert_eq!(tree.get(root).to_json(), json!({"kind": 3, "metadata": {}}));
}

#[test]
fn a_node_is_sixteen_bytes() {
    assert_eq!(size_of::<Node>(), 16);
}

#[test]
fn same_bytes_is_equality() {
    // Every length up to 40, equal and differing at each position.
    for n in 0..40usize {
        let a: Vec<u8> = (0..n as u8).map(|i| b'a' + i % 26).collect();
        assert!(same_bytes(&a, &a.clone()));
        assert!(!same_bytes(&a, &a[..n.saturating_sub(1)]) || n == 0);
        for i in 0..n {
            let mut b = a.clone();
            b[i] = b'#';
            assert!(!same_bytes(&a, &b), "{n} {i}");
        }
    }
}
