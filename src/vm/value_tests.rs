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

/// Integers a float cannot hold exactly stay exact (issue 22 item 8), and
/// special floats order as IEEE says: infinity above every number, NaN
/// neither equal nor unequal to anything.
#[test]
fn big_integers_are_exact_and_special_floats_order_as_ieee() {
    use super::{compare, equal, not_equal};
    use std::cmp::Ordering;
    let a = Val::int(9_007_199_254_740_993);
    let b = Val::int(9_007_199_254_740_992);
    assert!(matches!(a, Val::Qty(_)), "2^53 + 1 is kept exact");
    assert!(matches!(b, Val::Num(_)), "2^53 is a float exactly");
    assert_eq!(compare(&a, &b), Some(Ordering::Greater));
    assert!(!equal(&a, &b) && not_equal(&a, &b));
    assert!(equal(&Val::int(i64::MAX as i128), &Val::int(i64::MAX as i128)));
    assert_eq!(compare(&Val::int(u64::MAX as i128), &Val::int(u64::MAX as i128 - 1)), Some(Ordering::Greater));
    let inf = Val::Num(f64::INFINITY);
    assert_eq!(compare(&inf, &Val::Num(f64::MAX)), Some(Ordering::Greater));
    assert_eq!(compare(&Val::Num(f64::NEG_INFINITY), &Val::Num(f64::MIN)), Some(Ordering::Less));
    let nan = Val::Num(f64::NAN);
    assert!(!equal(&nan, &nan) && !not_equal(&nan, &Val::Num(1.0)));
    assert_eq!(compare(&nan, &Val::Num(1.0)), None);
}

#[test]
fn strings_the_typing_skips_never_read_as_versions_or_quantities() {
    use crate::world::Version;
    // Every one- and two-byte ASCII string, and some with other white space.
    let mut samples: Vec<String> = Vec::new();
    for a in 0u8..128 {
        samples.push((a as char).to_string());
        for b in 0u8..128 {
            samples.push(format!("{}{}", a as char, b as char));
        }
    }
    for s in ["\u{a0}1", "\u{2003}v1.2", "\u{3000}-1", "nginx:1.2", "e5", "Ki", "x1.2.3", "  v", "\t.5"] {
        samples.push(s.to_string());
    }
    for s in &samples {
        if !super::may_be_typed(s) {
            assert!(Version::parse(s).is_none(), "{s:?} reads as a version");
            assert!(Quantity::parse(s).is_none(), "{s:?} reads as a quantity");
        }
    }
    assert!(super::may_be_typed(" 1.2.3") && super::may_be_typed("v1") && super::may_be_typed(".5"));
}
