use super::*;
use serde_json::json;

/// A plain scalar's value, whether or not it is flagged.
fn plain(s: &str) -> Json {
    match classify_plain(s) {
        Plain::Null => Json::Null,
        Plain::Bool(b) | Plain::Yaml11Bool(b) => Json::Bool(b),
        Plain::Number(n) | Plain::Yaml11Number(n) => Json::Number(n),
        Plain::NonFinite(k) => panic!("{s} is non-finite ({k})"),
        Plain::Str => Json::String(s.into()),
    }
}

fn flagged(s: &str) -> bool {
    matches!(classify_plain(s), Plain::Yaml11Bool(_) | Plain::Yaml11Number(_))
}

#[test]
fn nulls_and_core_bools() {
    for s in ["", "~", "null", "Null", "NULL"] {
        assert_eq!(plain(s), Json::Null, "{s}");
    }
    assert_eq!(plain("True"), json!(true));
    assert_eq!(plain("FALSE"), json!(false));
    assert_eq!(plain("tRue"), json!("tRue"));
    assert!(!flagged("true"));
}

#[test]
fn yaml11_bools_are_flagged() {
    for (s, b) in [("yes", true), ("Yes", true), ("YES", true), ("y", true), ("on", true)] {
        assert_eq!(classify_plain(s), Plain::Yaml11Bool(b), "{s}");
    }
    for s in ["no", "No", "NO", "n", "N", "off", "Off", "OFF"] {
        assert_eq!(classify_plain(s), Plain::Yaml11Bool(false), "{s}");
    }
    assert_eq!(plain("yess"), json!("yess"));
}

#[test]
fn yaml12_numbers_are_not_flagged() {
    for (s, v) in [
        ("42", json!(42)),
        ("-7", json!(-7)),
        ("+7", json!(7)),
        ("0", json!(0)),
        ("0x1F", json!(31)),
        ("0o17", json!(15)),
        ("1.5", json!(1.5)),
        ("-.5", json!(-0.5)),
        (".5", json!(0.5)),
        ("1.", json!(1.0)),
        ("1e3", json!(1000.0)),
        ("-9223372036854775808", json!(i64::MIN)),
        ("18446744073709551615", json!(u64::MAX)),
        ("18446744073709551616", json!(18446744073709551616.0)),
    ] {
        assert_eq!(plain(s), v, "{s}");
        assert!(!flagged(s), "{s} is flagged");
    }
}

/// go-yaml v2's `resolve`: `_` removed, then Go's `ParseInt(s, 0, 64)`.
#[test]
fn yaml11_numbers_are_read_as_kubectl_does_and_flagged() {
    for (s, v) in [
        ("1_000", json!(1000)),
        ("1__0_", json!(10)),
        ("-1_000", json!(-1000)),
        ("1_000.5", json!(1000.5)),
        ("0b0", json!(0)),
        ("0b101", json!(5)),
        ("-0b101", json!(-5)),
        ("+0B11", json!(3)),
        ("010", json!(8)),
        ("-010", json!(-8)),
        ("00", json!(0)),
        ("0O17", json!(15)),
        ("0X1f", json!(31)),
        ("-0x10", json!(-16)),
        ("+0x10", json!(16)),
        ("0x_1F", json!(31)),
        // Not octal: Go's ParseInt fails, the float form reads it.
        ("09", json!(9.0)),
        ("0_9", json!(9.0)),
        (".5_5", json!(0.55)),
    ] {
        assert_eq!(plain(s), v, "{s}");
        assert!(flagged(s), "{s} is not flagged");
    }
}

#[test]
fn not_numbers_stay_strings() {
    for s in [
        "190:20:30",
        "1:20",
        "1.2.3",
        "0x",
        "0b",
        "0b2",
        "08x",
        "1e",
        "e3",
        ".",
        "12Mi",
        "_1",
        "-",
        "+",
        "1e400",
        "0x1p-2",
        "-9223372036854775809x",
        "0x1FFFFFFFFFFFFFFFF",
        "._5",
        ".5_",
        ".nAn",
        "2001-12-14",
        "2001-12-14t21:59:43.10-05:00",
        "Infinity",
        "+Inf",
    ] {
        assert_eq!(plain(s), json!(s), "{s}");
    }
    // Beyond i64 with a sign (ParseUint takes no sign): a float, as the
    // float form matches.
    assert_eq!(plain("-9223372036854775809"), json!(-9223372036854775809.0));
    assert_eq!(plain("+18446744073709551615"), json!(18446744073709551615.0));
}

#[test]
fn inf_and_nan_are_non_finite() {
    for (s, k) in [(".inf", ".inf"), ("+.Inf", ".inf"), ("-.INF", "-.inf"), (".NaN", ".nan"), (".NAN", ".nan")] {
        assert_eq!(classify_plain(s), Plain::NonFinite(k), "{s}");
    }
}

#[test]
fn tagged() {
    let v = |t: Tagged| match t {
        Tagged::Value(v) => v,
        other => panic!("{other:?}"),
    };
    assert_eq!(v(resolve_tagged("str", "42")), json!("42"));
    assert_eq!(v(resolve_tagged("int", "42")), json!(42));
    assert_eq!(v(resolve_tagged("int", "010")), json!(8));
    assert_eq!(v(resolve_tagged("float", "2")), json!(2.0));
    assert_eq!(v(resolve_tagged("bool", "yes")), json!(true));
    assert_eq!(v(resolve_tagged("null", "~")), json!(null));
    assert_eq!(v(resolve_tagged("timestamp", "2001-12-14t21:59:43.10-05:00")), json!("2001-12-14t21:59:43.10-05:00"));
    assert_eq!(v(resolve_tagged("timestamp", "2001-1-2 3:4:5")), json!("2001-1-2 3:4:5"));
    assert_eq!(v(resolve_tagged("set", "x")), json!("x"));
    assert_eq!(v(resolve_tagged("merge", "<<")), json!("<<"));
    for (tag, text, reason) in [
        ("int", "abc", "cannot decode !!str `abc` as a !!int"),
        ("int", "1.5", "cannot decode !!float `1.5` as a !!int"),
        ("int", "", "cannot decode !!null `` as a !!int"),
        ("bool", "1", "cannot decode !!int `1` as a !!bool"),
        ("null", "x", "cannot decode !!str `x` as a !!null"),
        ("float", "yes", "cannot decode !!bool `yes` as a !!float"),
        ("timestamp", "2001-02-30", "cannot decode !!str `2001-02-30` as a !!timestamp"),
        ("binary", "aGk", "!!binary value contains invalid base64 data"),
        ("binary", "a GVs", "!!binary value contains invalid base64 data"),
    ] {
        assert_eq!(resolve_tagged(tag, text), Tagged::Error(reason.into()), "!!{tag} {text}");
    }
    assert!(matches!(resolve_tagged("float", ".inf"), Tagged::Error(r) if r.contains("unsupported value")));
}

#[test]
fn binary_is_decoded_as_go_does() {
    assert_eq!(resolve_tagged("binary", "aGVsbG8="), Tagged::Binary("hello".into(), 5));
    assert_eq!(resolve_tagged("binary", "aGVs\nbG8=\n"), Tagged::Binary("hello".into(), 5));
    assert_eq!(resolve_tagged("binary", ""), Tagged::Binary(String::new(), 0));
    // Invalid UTF-8: one U+FFFD per byte that starts no valid sequence, as
    // Go's JSON encoder writes it (0xE2 0x82 then `A`: two of them).
    assert_eq!(resolve_tagged("binary", "4oJB"), Tagged::Binary("\u{FFFD}\u{FFFD}A".into(), 3));
    assert_eq!(resolve_tagged("binary", "AA=="), Tagged::Binary("\u{0}".into(), 1));
}

#[test]
fn the_shortcut_for_words_agrees_with_the_full_rules() {
    // Every word of one to three characters from letters that start the
    // fixed words and letters that do not, every fixed word in its three
    // cases, and some longer words.
    let letters = ["a", "e", "f", "F", "l", "n", "N", "o", "O", "r", "s", "t", "T", "u", "x", "y", "Y", "E", "S", "U"];
    let mut words: Vec<String> = Vec::new();
    for a in letters {
        words.push(a.to_string());
        for b in letters {
            words.push(format!("{a}{b}"));
            for c in letters {
                words.push(format!("{a}{b}{c}"));
            }
        }
    }
    for w in
        ["null", "true", "false", "yes", "off", "on", "no", "inf", "nan", "app", "nginx", "Deployment", "z9", "x_1"]
    {
        words.extend([w.to_string(), w.to_uppercase(), format!("{}{}", &w[..1].to_uppercase(), &w[1..])]);
    }
    for w in &words {
        assert_eq!(classify_plain(w), classify_words(w), "{w}");
    }
}

/// The shortcut for decimal integers reads every number as the general
/// reading does, and leaves the others (leading zeros: octal; signs;
/// underscores; too long for the shortcut) to it.
#[test]
fn integer_shortcut_agrees_with_the_general_reading() {
    let mut texts: Vec<String> = (0..2000u64).map(|n| n.to_string()).collect();
    texts.extend((0..20).map(|k| "9".repeat(k + 1)));
    texts.extend((0..20).map(|k| format!("1{}", "0".repeat(k))));
    texts.extend(
        [
            "007",
            "08",
            "0",
            "00",
            "-1",
            "+1",
            "1_000",
            "1e3",
            "1.5",
            "18446744073709551615",
            "18446744073709551616",
            "9223372036854775808",
            "80:80",
            "443/TCP",
            "8080a",
        ]
        .map(String::from),
    );
    for t in &texts {
        assert_eq!(classify_plain(t), classify_words(t), "{t}");
    }
}
