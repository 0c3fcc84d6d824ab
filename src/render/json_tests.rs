//! Tests for the JSON renderer.

use super::render;
use crate::render::test_fixtures;

#[test]
fn small_report_snapshot() {
    insta::assert_snapshot!(render(&test_fixtures::small()));
}

#[test]
fn pretty_two_space_indent_and_trailing_newline() {
    let out = render(&test_fixtures::small());
    assert!(out.starts_with("{\n  \"schema_version\": 2,\n  \"findings\": ["));
    assert!(out.ends_with("}\n"));
    assert!(!out.ends_with("\n\n"));
}

#[test]
fn top_level_keys_in_fixed_order() {
    let out = render(&test_fixtures::full());
    let pos = |k: &str| out.find(&format!("\n  \"{k}\": ")).unwrap_or(usize::MAX);
    let order = ["schema_version", "findings", "summary", "errors", "skipped", "warnings"];
    for pair in order.windows(2) {
        assert!(pos(pair[0]) < pos(pair[1]), "{} before {}", pair[0], pair[1]);
    }
    assert!(pos("warnings") < usize::MAX);
}

#[test]
fn every_finding_has_exactly_the_required_keys() {
    let out = render(&test_fixtures::full());
    let doc: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let findings = doc["findings"].as_array().expect("findings is an array");
    assert_eq!(findings.len(), 3);
    let required = [
        "rule",
        "severity",
        "env",
        "apiVersion",
        "kind",
        "namespace",
        "name",
        "file",
        "line",
        "message",
        "evidence",
        "related",
    ];
    for f in findings {
        let obj = f.as_object().expect("finding is an object");
        for key in required {
            assert!(obj.contains_key(key), "missing {key} in {f}");
        }
        assert_eq!(obj.len(), required.len(), "extra keys in {f}");
        assert!(f["related"].is_array());
        assert!(f["line"].is_u64());
        for r in f["related"].as_array().into_iter().flatten() {
            for key in ["env", "apiVersion", "kind", "namespace", "name", "file", "line"] {
                assert!(r.get(key).is_some(), "missing {key} in related {r}");
            }
        }
    }
    for key in ["errors", "skipped", "warnings"] {
        assert!(doc[key].is_array(), "{key} is an array");
    }
    assert!(doc["summary"]["elapsed_ms"].is_u64());
}

#[test]
fn output_is_deterministic_apart_from_elapsed_ms() {
    let a = test_fixtures::full();
    let mut b = test_fixtures::full();
    b.summary.elapsed_ms = 999;
    let strip = |s: String| s.lines().filter(|l| !l.contains("\"elapsed_ms\"")).collect::<Vec<_>>().join("\n");
    assert_eq!(strip(render(&a)), strip(render(&b)));
}
