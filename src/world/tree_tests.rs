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
            let key = b.key_text(k);
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

#[test]
fn stored_nodes_keep_every_value_and_line() {
    let span = Span { off: u32::MAX, len: 7 };
    let nodes = [
        Node::Null,
        Node::Bool(true),
        Node::Bool(false),
        Node::Int(i64::MIN),
        Node::Int(-1),
        Node::UInt(u64::MAX),
        Node::Float(-0.0),
        Node::Float(f64::INFINITY),
        Node::Str(span),
        Node::Seq { start: 3, len: u32::MAX },
        Node::Map { start: u32::MAX, len: 0 },
    ];
    for node in nodes {
        for line in [0, 1, 12_345, LINE_LIMIT] {
            let stored = Stored::new(node, line);
            assert_eq!((stored.node(), stored.line()), (node, line), "{node:?} on line {line}");
        }
        // A line too large to store is not known (found in the text).
        assert_eq!(Stored::new(node, LINE_LIMIT + 1).line(), 0);
        assert_eq!(Stored::new(node, u32::MAX).node(), node);
    }
    let nan = Stored::new(Node::Float(f64::NAN), 9).node();
    assert!(matches!(nan, Node::Float(f) if f.is_nan()));
    assert_eq!(size_of::<Stored>(), 12);
}

#[test]
fn lines_stay_with_their_entries_when_a_map_is_sorted() {
    let mut b = Builder::with_capacity(8, 64, true);
    let mark = b.mark();
    for (i, k) in ["c", "a", "b"].iter().enumerate() {
        let key = b.key(k);
        let value = b.string(k);
        b.push_at(key, value, 10 + i as u32);
    }
    let map = b.close_unique_map(mark).expect("no repeated key");
    let root = b.root_at(map, 9);
    let tree = b.finish();
    assert!(tree.records_lines());
    let r = tree.get(root);
    let lines: Vec<(&str, Option<u32>)> = r.entries().map(|(k, v)| (k, v.line())).collect();
    assert_eq!(lines, [("a", Some(11)), ("b", Some(12)), ("c", Some(10))]);
    assert_eq!(r.line(), Some(9));
    // Without lines, none is kept.
    let mut b = Builder::default();
    let node = b.string("x");
    let root = b.root_at(node, 4);
    let tree = b.finish();
    assert!(!tree.records_lines());
    assert_eq!(tree.get(root).line(), None);
}

#[test]
fn keys_of_every_length_are_found_from_where_they_start() {
    // A key's length is stored before it: one byte below 127, six bytes
    // from there on.
    for len in [0, 1, 8, 16, 17, 125, 126, 127, 128, 200, 255, 256, 16_383, 16_384, 70_000] {
        let long = "k".repeat(len);
        let other = format!("{long}x");
        let value = json!({ long.clone(): 1, other.clone(): 2, "a": 3 });
        let (tree, root) = Tree::from_json(&value);
        let r = tree.get(root);
        assert_eq!(r.to_json(), value, "length {len}");
        assert_eq!(r.get(&long).and_then(NodeRef::as_f64), Some(1.0), "length {len}");
        assert_eq!(r.get(&other).and_then(NodeRef::as_f64), Some(2.0), "length {len}");
        assert_eq!(r.get(&"k".repeat(len + 2)), None, "length {len}");
        let keys: Vec<usize> = r.entries().map(|(k, _)| k.len()).collect();
        assert!(keys.contains(&len) && keys.contains(&(len + 1)), "length {len}: {keys:?}");
        // A map of more than 16 keys is searched by halves.
        let mut big = serde_json::Map::new();
        for i in 0..40 {
            big.insert(format!("{long}{i:02}"), json!(i));
        }
        let (tree, root) = Tree::from_json(&Json::Object(big));
        assert_eq!(tree.get(root).get(&format!("{long}33")).and_then(NodeRef::as_f64), Some(33.0), "length {len}");
        assert_eq!(tree.get(root).get(&format!("{long}40")), None, "length {len}");
    }
}

#[test]
fn a_string_stored_earlier_becomes_a_key() {
    let mut b = Builder::default();
    let mark = b.mark();
    let Node::Str(s) = b.string("app.kubernetes.io/name") else { panic!("a string") };
    let key = b.key_of(s);
    b.push(key, Node::Bool(true));
    let map = b.close_map(mark, KeepKey::First);
    let root = b.root(map);
    let tree = b.finish();
    assert_eq!(tree.get(root).to_json(), json!({"app.kubernetes.io/name": true}));
}

#[test]
fn close_map_keeps_lines_with_first_or_last_of_many_equal_keys() {
    // More than 32 entries (the old code's insertion-sort threshold), equal
    // keys interleaved: stable sort, and the kept entry's line moves with it.
    for keep in [KeepKey::First, KeepKey::Last] {
        let mut b = Builder::with_capacity(8, 64, true);
        let mark = b.mark();
        let mut pushed = Vec::new();
        for i in 0..80u32 {
            let k = format!("k{:02}", (i * 7) % 20);
            let key = b.key(&k);
            b.push_at(key, Node::Int(i as i64), 100 + i);
            pushed.push((k, i));
        }
        let map = b.close_map(mark, keep);
        let root = b.root_at(map, 1);
        let tree = b.finish();
        let r = tree.get(root);
        assert_eq!(r.len(), 20);
        for (k, v) in r.entries() {
            let same: Vec<u32> = pushed.iter().filter(|(pk, _)| pk == k).map(|(_, i)| *i).collect();
            let want = if keep == KeepKey::First { same[0] } else { *same.last().unwrap() };
            assert_eq!(v.node(), Node::Int(want as i64), "{k} {keep:?}");
            assert_eq!(v.line(), Some(100 + want), "{k} {keep:?}");
        }
    }
}

#[test]
fn rollback_forgets_nodes_and_lines() {
    let mut b = Builder::with_capacity(8, 64, true);
    let m = b.mark();
    let k = b.key("a");
    let s = b.string("x");
    b.push_at(k, s, 3);
    let inner = b.close_map(m, KeepKey::Last);
    let r1 = b.root_at(inner, 2);
    let cp = b.checkpoint();
    let m = b.mark();
    let k = b.key("b");
    b.push_at(k, Node::Int(1), 7);
    let _ = b.close_map(m, KeepKey::Last);
    let m2 = b.mark();
    b.push_at(Span::default(), Node::Bool(true), 9);
    b.rollback(cp);
    // The general parser then builds without lines.
    let m = b.mark();
    let k = b.key("c");
    b.push(k, Node::Float(2.5));
    let map = b.close_map(m, KeepKey::First);
    let r2 = b.root(map);
    b.set_lines_incomplete();
    let _ = m2;
    let tree = b.finish();
    assert_eq!(tree.get(r1).line(), Some(2));
    assert_eq!(tree.get(r1).get("a").and_then(|n| n.line()), Some(3));
    assert_eq!(tree.get(r2).line(), None);
    assert_eq!(tree.get(r2).get("c").and_then(|n| n.line()), None);
    assert_eq!(tree.get(r2).to_json(), json!({"c": 2.5}));
    assert!(!tree.records_lines());
    assert!(tree.lines_incomplete());
}

#[test]
fn records_lines_edge_cases() {
    assert!(!Builder::with_capacity(0, 0, true).finish().records_lines());
    assert!(!Builder::default().finish().records_lines());
    assert!(!Tree::default().records_lines());
    let mut b = Builder::with_capacity(0, 0, true);
    let r = b.root(Node::Null);
    let t = b.finish();
    assert!(t.records_lines());
    assert_eq!(t.get(r).line(), None);
}

#[test]
fn with_entries_keeps_lines_only_when_recorded() {
    let mut b = Builder::with_capacity(8, 64, true);
    let m = b.mark();
    let k = b.key("metadata");
    b.push_at(k, Node::Null, 5);
    let k = b.key("kind");
    b.push_at(k, Node::Int(3), 6);
    let map = b.close_map(m, KeepKey::Last);
    let root = b.root_at(map, 4);
    let mut tree = b.finish();
    let copy = tree.with_entries(root, &[("kind", "Service"), ("apiVersion", "v1")]);
    let c = tree.get(copy);
    assert_eq!(c.line(), Some(4));
    assert_eq!(c.get("metadata").and_then(|n| n.line()), Some(5));
    assert_eq!(c.get("kind").and_then(|n| n.line()), None);
    assert_eq!(c.get("apiVersion").and_then(|n| n.line()), None);
    assert!(tree.records_lines());
    let (mut tree, root) = Tree::from_json(&json!({"a": 1}));
    let copy = tree.with_entries(root, &[("kind", "X")]);
    assert_eq!(tree.get(copy).line(), None);
    assert!(!tree.records_lines());
}

#[test]
fn every_int_and_float_bit_pattern_round_trips() {
    for i in [0i64, 1, -1, i64::MAX, i64::MIN, 1 << 32, -(1 << 32), 0xFFFF_FFFF, -0xFFFF_FFFF] {
        assert_eq!(Stored::new(Node::Int(i), 5).node(), Node::Int(i));
    }
    for u in [0u64, 1, u64::MAX, 1 << 63, 0xFFFF_FFFF] {
        assert_eq!(Stored::new(Node::UInt(u), 5).node(), Node::UInt(u));
    }
    for bits in [0u64, 1 << 63, f64::MIN_POSITIVE.to_bits(), 1, 0x7FF8_0000_0000_0001, f64::NEG_INFINITY.to_bits()] {
        match Stored::new(Node::Float(f64::from_bits(bits)), 5).node() {
            Node::Float(f) => assert_eq!(f.to_bits(), bits),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(Stored::new(Node::Bool(true), LINE_LIMIT).node(), Node::Bool(true));
    assert_eq!(Stored::new(Node::Bool(false), LINE_LIMIT).node(), Node::Bool(false));
    // Stored::default() decodes as Null, line 0.
    assert_eq!(Stored::default().node(), Node::Null);
    assert_eq!(Stored::default().line(), 0);
}

#[test]
fn maps_sort_keys_in_byte_order_whatever_their_first_eight_bytes() {
    // Keys that share their first eight bytes or end within them, hold
    // zero bytes, or run to the very end of the text (where no word can be
    // read past them): sorted by their first word, then their bytes, the
    // order must be plain byte order.
    let keys = [
        "",
        "a",
        "a\0",
        "a\0b",
        "ab",
        "abcdefg",
        "abcdefgh",
        "abcdefgh\0",
        "abcdefghi",
        "abcdefgi",
        "abcdefh",
        "b",
        "\u{7f}",
        "é",
        "app.kubernetes.io/name",
        "app.kubernetes.io/part-of",
        "app.kubernetes.io/",
        "zz",
        "z",
    ];
    for rotate in 0..keys.len() {
        let mut order: Vec<&str> = keys.to_vec();
        order.rotate_left(rotate);
        order.reverse();
        let mut b = Builder::with_capacity(0, 0, false);
        let mark = b.mark();
        for (i, k) in order.iter().enumerate() {
            let span = b.key_text(k);
            b.push(span, Node::Int(i as i64));
        }
        let map = b.close_map(mark, KeepKey::First);
        // The last key stored ends the text: its word is read byte by byte.
        let root = b.root(map);
        let tree = b.finish();
        let got: Vec<&str> = tree.get(root).entries().map(|(k, _)| k).collect();
        let mut want: Vec<&str> = keys.to_vec();
        want.sort();
        assert_eq!(got, want, "pushed in the order {order:?}");
    }
}

#[test]
fn key_slots_spread_keys_of_every_length() {
    // The hash reads whole words at both ends of a key (overlapping for
    // short keys): keys that differ in any byte of the first, middle or
    // last position, or in length, mostly land in different slots.
    let keys: Vec<String> = (0..200).map(|i| format!("{}{i}", "k".repeat(i % 13))).collect();
    let slots: std::collections::BTreeSet<usize> = keys.iter().map(|k| builder::key_slot(k)).collect();
    assert!(slots.len() > 100, "{} slots for 200 keys", slots.len());
    assert!(keys.iter().all(|k| builder::key_slot(k) < builder::KEY_SLOTS));
}

#[test]
fn small_maps_sort_stably_in_byte_order() {
    // Maps of up to 16 entries have their own insertion sort: byte order,
    // the first or last of equal keys kept, as the general sort does.
    let pool = [
        "a",
        "a\0",
        "ab",
        "abcdefgh",
        "abcdefgh\0",
        "abcdefghi",
        "abcdefgi",
        "b",
        "é",
        "spec",
        "kind",
        "metadata",
        "apiVersion",
        "app.kubernetes.io/name",
        "app.kubernetes.io/part-of",
        "z",
    ];
    for n in 1..=16 {
        for rotate in 0..pool.len() {
            // n keys from the pool, one of them twice when there is room.
            let mut keys: Vec<&str> = pool.iter().cycle().skip(rotate).take(n).copied().collect();
            if n > 2 {
                keys[n - 1] = keys[n / 2];
            }
            if rotate % 2 == 1 {
                keys.reverse();
            }
            for keep in [KeepKey::First, KeepKey::Last] {
                let mut b = Builder::with_capacity(0, 0, false);
                let mark = b.mark();
                for (i, k) in keys.iter().enumerate() {
                    let span = b.key_text(k);
                    b.push(span, Node::Int(i as i64));
                }
                let map = b.close_map(mark, keep);
                let root = b.root(map);
                let tree = b.finish();
                let got: Vec<(&str, Node)> = tree.get(root).entries().map(|(k, v)| (k, v.node())).collect();
                let mut want: Vec<&str> = keys.clone();
                want.sort();
                want.dedup();
                let want: Vec<(&str, Node)> = want
                    .into_iter()
                    .map(|k| {
                        let at = keys.iter().enumerate().filter(|(_, x)| **x == k).map(|(i, _)| i);
                        let i = if keep == KeepKey::First { at.min() } else { at.max() };
                        (k, Node::Int(i.unwrap_or(0) as i64))
                    })
                    .collect();
                assert_eq!(got, want, "{keys:?} {keep:?}");
            }
            // A repeated key is found by the unique close.
            let mut b = Builder::with_capacity(0, 0, false);
            let mark = b.mark();
            for k in &keys {
                let span = b.key_text(k);
                b.push(span, Node::Null);
            }
            let repeated = keys.iter().enumerate().any(|(i, k)| keys[..i].contains(k));
            assert_eq!(b.close_unique_map(mark).is_err(), repeated, "{keys:?}");
        }
    }
}

#[test]
fn every_key_of_a_large_map_is_found() {
    // Maps of more than 16 keys are searched by halves, which relies on
    // the builder's sort order matching `get`'s comparison: every key is
    // found with its own value, and keys that are not there are not.
    let stems = ["", "a", "app.kubernetes.io/", "abcdefgh", "z", "é", "k\0"];
    for n in [17, 18, 31, 64, 200] {
        let keys: Vec<String> = (0..n).map(|i| format!("{}{}", stems[i % stems.len()], i * 7919 % 1000)).collect();
        // Pushed in a scrambled order (the builder sorts them).
        let mut b = Builder::with_capacity(0, 0, false);
        let mark = b.mark();
        for j in 0..n {
            let i = j * 37 % n;
            let span = b.key_text(&keys[i]);
            b.push(span, Node::Int(i as i64));
        }
        let map = b.close_map(mark, KeepKey::First);
        let root = b.root(map);
        let tree = b.finish();
        let r = tree.get(root);
        assert_eq!(r.len(), n);
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(r.get(k).and_then(NodeRef::as_f64), Some(i as f64), "{k:?} of {n}");
            for absent in [format!("{k}\0"), format!("{k}~"), format!("!{k}")] {
                if !keys.contains(&absent) {
                    assert_eq!(r.get(&absent), None, "{absent:?} of {n}");
                }
            }
        }
    }
}
