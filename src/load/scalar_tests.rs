use super::*;
use serde_json::json;

fn plain(s: &str) -> Json {
    match resolve_plain(s) {
        Resolved::Value(v) => v,
        Resolved::Yaml11Bool(b) => panic!("{s} resolved to a YAML 1.1 bool {b}"),
    }
}

#[test]
fn nulls_and_core_bools() {
    for s in ["", "~", "null", "Null", "NULL"] {
        assert_eq!(plain(s), Json::Null, "{s}");
    }
    assert_eq!(plain("True"), json!(true));
    assert_eq!(plain("FALSE"), json!(false));
    assert_eq!(plain("tRue"), json!("tRue"));
}

#[test]
fn yaml11_bools_are_flagged() {
    for (s, b) in [("yes", true), ("Yes", true), ("YES", true), ("y", true), ("on", true)] {
        assert_eq!(resolve_plain(s), Resolved::Yaml11Bool(b), "{s}");
    }
    for s in ["no", "No", "NO", "n", "N", "off", "Off", "OFF"] {
        assert_eq!(resolve_plain(s), Resolved::Yaml11Bool(false), "{s}");
    }
    assert_eq!(plain("yess"), json!("yess"));
}

#[test]
fn numbers() {
    assert_eq!(plain("42"), json!(42));
    assert_eq!(plain("-7"), json!(-7));
    assert_eq!(plain("+7"), json!(7));
    assert_eq!(plain("0x1F"), json!(31));
    assert_eq!(plain("0o17"), json!(15));
    assert_eq!(plain("1.5"), json!(1.5));
    assert_eq!(plain("-.5"), json!(-0.5));
    assert_eq!(plain("1e3"), json!(1000.0));
    assert_eq!(plain("-9223372036854775808"), json!(i64::MIN));
    assert_eq!(plain("18446744073709551616"), json!(18446744073709551616.0));
}

#[test]
fn not_numbers_stay_strings() {
    for s in [".inf", "-.inf", ".nan", ".NaN", "1.2.3", "0x", "1e", "e3", ".", "1_000", "12Mi"] {
        assert_eq!(plain(s), json!(s), "{s}");
    }
}

#[test]
fn tagged() {
    assert_eq!(resolve_tagged("str", "42"), Some(json!("42")));
    assert_eq!(resolve_tagged("int", "42"), Some(json!(42)));
    assert_eq!(resolve_tagged("float", "2"), Some(json!(2.0)));
    assert_eq!(resolve_tagged("bool", "yes"), Some(json!(true)));
    assert_eq!(resolve_tagged("int", "abc"), None);
    assert_eq!(resolve_tagged("binary", "abc"), None);
}
